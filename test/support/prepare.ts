// Runs the pipeline on inline data in a temp folder and reads the outputs back (for the prepare tests).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { PreprocessingJson, StatsJson } from "../../runtime/src/contract/artifacts.js";
import {
  type KeyStore,
  type PrepareResult,
  type PrepareSecrets,
  runPrepare,
} from "../../runtime/src/prepare/pipeline.js";
import { openSource } from "../../runtime/src/prepare/source.js";
import { specWithDefaults } from "../../runtime/src/prepare/spec.js";

export const tmp = () => mkdtempSync(path.join(tmpdir(), "liftoff-prep-"));

export async function prepareInline(
  data: string,
  // biome-ignore lint/suspicious/noExplicitAny: test specs are partial manifests
  spec: any,
  o: { out?: string; secrets?: PrepareSecrets; keyStore?: KeyStore; keepVersions?: string[] } = {},
) {
  const full = specWithDefaults({
    source: { inline: { data } },
    output: { claimName: "c", path: "p" },
    ...spec,
  });
  const out = o.out ?? tmp();
  const result = await runPrepare({
    spec: full,
    out,
    scratch: tmp(),
    source: openSource(full, {}),
    ...(o.secrets ? { secrets: o.secrets } : {}),
    ...(o.keyStore ? { keyStore: o.keyStore } : {}),
    ...(o.keepVersions ? { keepVersions: o.keepVersions } : {}),
    threads: 2,
    memoryLimit: "256MB",
  });
  return { result, out };
}

function readJson<T>(r: PrepareResult, name: string): T {
  return JSON.parse(readFileSync(path.join(r.dir, name), "utf8")) as T;
}

export const preprocessingOf = (r: PrepareResult) => readJson<PreprocessingJson>(r, "preprocessing.json");
export const statsOf = (r: PrepareResult) => readJson<StatsJson>(r, "stats.json");

export async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const db = await (await DuckDBInstance.create(":memory:")).connect();
  const rows = (await db.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS();
  db.closeSync();
  return rows;
}

export const part = (r: PrepareResult, p: string) => readParquet(path.join(r.dir, p, "part-00000.parquet"));
