// The DataSet spec as `prepare` reads it (a manifest file or the operator's env), with the API's defaults filled in
// so a local run behaves like one in the cluster. The API server validated it there; here only what a hand-written
// local manifest could get wrong is checked again.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { PrepareError, PrepareReason } from "./errors.js";

export type ColumnType = "number" | "integer" | "string" | "boolean" | "category";
export interface VaultRef {
  path: string;
  key: string;
}
export interface TransformSpec {
  type: "dropNA" | "fillNA" | "standardize" | "minMax" | "oneHot" | "dropColumns" | "hashPII";
  columns?: string[];
  value?: string;
  saltSecret?: VaultRef;
}

export interface PrepareSpec {
  source: {
    http?: { url: string };
    pvc?: { claimName: string; path: string };
    inline?: { data: string };
    postgres?: { query: string; dsnSecret: VaultRef };
  };
  format: "csv" | "jsonl" | "parquet";
  csv: { delimiter: string; header: boolean; quote: string; naValues: string[] };
  schema: { columns: { name: string; type: ColumnType; pii: boolean }[]; target: string };
  transforms: TransformSpec[];
  split: { train: number; validation: number; test: number; seed: number };
  output: { claimName: string; path: string };
  encryption?: { transitKey: string; vaultRole: string };
  retainVersions: number;
}

/** pandas.read_csv's default missing-value markers (the API's default for csv.naValues). */
export const PANDAS_NA_VALUES = [
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
];

const bad = (message: string) => new PrepareError(PrepareReason.InvalidSpec, message);

// biome-ignore lint/suspicious/noExplicitAny: a manifest is free-form until checked
export function specWithDefaults(raw: any): PrepareSpec {
  const spec = raw?.kind === "DataSet" ? raw.spec : raw;
  if (!spec || typeof spec !== "object") throw bad("the manifest has no DataSet spec");
  const sources = ["http", "pvc", "inline", "postgres"].filter((k) => spec.source?.[k]);
  if (sources.length !== 1) throw bad("set exactly one data source: http, pvc, inline or postgres");
  const columns = spec.schema?.columns;
  if (!Array.isArray(columns) || columns.length === 0) throw bad("schema.columns must list the columns");
  if (!columns.some((c: { name: string }) => c.name === spec.schema.target)) {
    throw bad("target must name one of schema.columns");
  }
  if (!spec.output?.path) throw bad("output.path is required");
  const split = { train: 0.8, validation: 0.1, test: 0.1, seed: 42, ...spec.split };
  if (Math.abs(split.train + split.validation + split.test - 1) > 1e-6) {
    throw bad("split fractions train + validation + test must sum to 1");
  }
  return {
    source: spec.source,
    format: spec.format ?? "csv",
    csv: { delimiter: ",", header: true, quote: '"', naValues: PANDAS_NA_VALUES, ...spec.csv },
    schema: {
      target: spec.schema.target,
      columns: columns.map((c: { name: string; type: ColumnType; pii?: boolean }) => ({ ...c, pii: c.pii ?? false })),
    },
    transforms: spec.transforms ?? [],
    split,
    output: spec.output,
    ...(spec.encryption ? { encryption: { vaultRole: "liftoff-dataset", ...spec.encryption } } : {}),
    retainVersions: spec.retainVersions ?? 3,
  };
}

export function loadSpecFile(file: string): PrepareSpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw bad(`cannot read the spec file ${file}: ${(err as Error).message}`);
  }
  return specWithDefaults(parse(text));
}
