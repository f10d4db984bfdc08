// The DataSet spec as `prepare` reads it (a manifest file or the operator's env), with the API's defaults (the
// contract's, runtime/src/contract/dataset.ts) filled in so a local run behaves like one in the cluster. The API
// server validated it there; here only what a hand-written local manifest could get wrong is checked again.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import {
  CAPTURED_DEFAULTS,
  CSV_DEFAULTS,
  DATASET_DEFAULTS,
  PANDAS_NA_VALUES,
  SPLIT_DEFAULTS,
} from "../contract/dataset.js";
import { parseDuration, type RetentionSpec } from "../contract/retention.js";
import type { ObjectStorageSpec } from "../contract/storage.js";
import { RESERVED_HINT } from "./clean.js";
import { PrepareError, PrepareReason } from "./errors.js";

export type ColumnType = "number" | "integer" | "string" | "boolean" | "category";
export interface VaultRef {
  path: string;
  key: string;
}
interface TransformSpec {
  type: "dropNA" | "fillNA" | "standardize" | "minMax" | "oneHot" | "dropColumns" | "hashPII";
  columns?: string[];
  value?: string;
  saltSecret?: VaultRef;
}

export interface CapturedSpec {
  modelDeploymentRef: { name: string };
  maxAgeHours: number;
  labelled: boolean;
}

export interface PrepareSpec {
  source: {
    http?: { url: string };
    pvc?: { claimName: string; path: string };
    inline?: { data: string };
    postgres?: { query: string; dsnSecret: VaultRef };
    s3?: { uri: string };
    /** Traffic a ModelDeployment captured (captured-source.ts): alone, or merged with the one source above. */
    captured?: CapturedSpec;
  };
  format: "csv" | "jsonl" | "parquet";
  csv: { delimiter: string; header: boolean; quote: string; naValues: string[] };
  schema: { columns: { name: string; type: ColumnType; pii: boolean }[]; target: string };
  transforms: TransformSpec[];
  split: { train: number; validation: number; test: number; seed: number };
  /** A claim's folder, or an s3:// prefix (the operator passes either as --out). */
  output: { claimName?: string; path?: string; uri?: string };
  encryption?: { transitKey: string; vaultRole: string };
  retainVersions: number;
  /** Versions past it are shredded (runtime/src/contract/retention.ts). */
  retention?: RetentionSpec;
  /** How the pod reaches s3:// (the operator turns it into the pod's env; a local run uses the AWS_* env). */
  storage?: ObjectStorageSpec;
  /** The subject key column: each version gets its index of their HMACs (subjects.ts), for ErasureRequests. */
  privacy?: PrivacySpec;
}

interface PrivacySpec {
  subjectKey: string;
  saltSecret?: VaultRef;
  onErasure: "Flag" | "Retrain";
}

/**
 * A DataSet spec as it reaches `prepare`: from the operator, the API's type with every default applied; from a local
 * manifest, with any default missing. contract.test.ts checks at compile time that the API's Static<> type fits it
 * and that what specWithDefaults returns is a valid API spec again.
 */
export interface DataSetSpecInput {
  source?: Omit<PrepareSpec["source"], "captured"> & {
    captured?: { modelDeploymentRef: { name: string }; maxAgeHours?: number; labelled?: boolean };
  };
  format?: PrepareSpec["format"];
  csv?: Partial<PrepareSpec["csv"]>;
  schema?: { columns?: { name: string; type: ColumnType; pii?: boolean }[]; target?: string };
  transforms?: TransformSpec[];
  split?: Partial<PrepareSpec["split"]>;
  output?: PrepareSpec["output"];
  encryption?: { transitKey: string; vaultRole?: string };
  retainVersions?: number;
  retention?: RetentionSpec;
  storage?: ObjectStorageSpec;
  privacy?: Omit<PrivacySpec, "onErasure"> & { onErasure?: PrivacySpec["onErasure"] };
}

/** The API's CEL messages (operator/src/api/v1alpha1/dataset.ts), for a local manifest. */
export const ONE_SOURCE =
  "set exactly one data source: http, pvc, inline, postgres or s3 (or captured, alone or with one of them)";
const CAPTURED_PLUS_ONE =
  "captured merges with at most one other source: keep one of http, pvc, inline, postgres or s3 beside it, or none";

const bad = (message: string) => new PrepareError(PrepareReason.InvalidSpec, message);

/** The API's retention rules (its CRD schema and CEL), for a local manifest. */
function checkedRetention(r: RetentionSpec): RetentionSpec {
  if (r.keepLast !== undefined && (!Number.isInteger(r.keepLast) || r.keepLast < 1))
    throw bad("retention.keepLast must be a whole number ≥ 1");
  if (r.maxAge !== undefined && parseDuration(r.maxAge) === undefined)
    throw bad(
      `retention.maxAge "${r.maxAge}" is not a duration: a whole number and s, m, h or d, e.g. "720h" or "30d"`,
    );
  if (r.keepLast === undefined && r.maxAge === undefined) throw bad("retention needs keepLast, maxAge or both");
  return r;
}

/** A DataSet manifest or its bare spec (free-form until checked) → the spec with the API's defaults filled in. */
export function specWithDefaults(raw: unknown): PrepareSpec {
  const doc = raw as { kind?: unknown; spec?: unknown } | null | undefined;
  const found = doc?.kind === "DataSet" ? doc.spec : raw;
  if (!found || typeof found !== "object") throw bad("the manifest has no DataSet spec");
  const spec = found as DataSetSpecInput;
  const sources = (["http", "pvc", "inline", "postgres", "s3"] as const).filter((k) => spec.source?.[k]);
  const captured = spec.source?.captured;
  if (!captured && sources.length !== 1) throw bad(ONE_SOURCE);
  if (captured && sources.length > 1) throw bad(CAPTURED_PLUS_ONE);
  if (captured && !captured.modelDeploymentRef?.name) throw bad("source.captured needs modelDeploymentRef.name");
  const columns = spec.schema?.columns;
  if (!Array.isArray(columns) || columns.length === 0) throw bad("schema.columns must list the columns");
  const reserved = columns.find((c) => c.name.startsWith("__"));
  if (reserved) throw bad(`schema.columns names "${reserved.name}": ${RESERVED_HINT}; rename the column`);
  const target = spec.schema?.target;
  if (!columns.some((c) => c.name === target)) {
    throw bad("target must name one of schema.columns");
  }
  if (!spec.output?.path && !spec.output?.uri) throw bad("output.path (or output.uri, s3://bucket/prefix) is required");
  const split = { ...SPLIT_DEFAULTS, ...spec.split };
  if (Math.abs(split.train + split.validation + split.test - 1) > 1e-6) {
    throw bad("split fractions train + validation + test must sum to 1");
  }
  return {
    // Exactly one source is set, or captured with at most one (checked above).
    source: {
      ...(spec.source as PrepareSpec["source"]),
      ...(captured ? { captured: { ...CAPTURED_DEFAULTS, ...captured } } : {}),
    },
    format: spec.format ?? DATASET_DEFAULTS.format,
    csv: { ...CSV_DEFAULTS, naValues: PANDAS_NA_VALUES, ...spec.csv },
    schema: {
      target: target as string,
      columns: columns.map((c) => ({ ...c, pii: c.pii ?? false })),
    },
    transforms: spec.transforms ?? [],
    split,
    output: spec.output,
    ...(spec.encryption ? { encryption: { vaultRole: DATASET_DEFAULTS.encryptionVaultRole, ...spec.encryption } } : {}),
    retainVersions: spec.retainVersions ?? DATASET_DEFAULTS.retainVersions,
    ...(spec.retention ? { retention: checkedRetention(spec.retention) } : {}),
    ...(spec.storage ? { storage: spec.storage } : {}),
    ...(spec.privacy ? { privacy: { onErasure: DATASET_DEFAULTS.onErasure, ...spec.privacy } } : {}),
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
