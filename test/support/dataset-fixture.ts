// Writes a DataSet version folder in the contract's layout (runtime/src/contract/artifacts.ts) with DuckDB, for
// train tests and bench:train until they can run the real `prepare`: train/ validation/ test/ Parquet, with one
// FLOAT column per feature name and the target (class index or value), preprocessing.json, stats.json and
// manifest.json. Seeded; synthetic rows are generated inside DuckDB so a million of them cost seconds.
import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { ManifestJson, PreprocessingJson, StatsJson } from "../../runtime/src/contract/artifacts.js";

export interface FixtureOptions {
  /** SQL yielding one column per `pre.featureNames` entry and `pre.target.column`. */
  select: string;
  pre: PreprocessingJson;
  seed?: number;
  /** Fractions of train and validation; test gets the rest. */
  split?: [number, number];
}

const q = (s: string) => `"${s.replaceAll('"', '""')}"`;

export async function writeDataSetFixture(dir: string, o: FixtureOptions): Promise<string> {
  const [tr, va] = o.split ?? [0.8, 0.1];
  const seed = o.seed ?? 7;
  const db = await DuckDBInstance.create(":memory:", { threads: "2" });
  const conn = await db.connect();
  try {
    await conn.run(`CREATE TABLE src AS SELECT *, row_number() OVER () AS __row FROM (${o.select})`);
    const rows = Number((await conn.runAndReadAll("SELECT count(*) FROM src")).getRows()[0]?.[0]);
    const cols = [...o.pre.featureNames.map((f) => `CAST(${q(f)} AS FLOAT) AS ${q(f)}`), q(o.pre.target.column)];
    const bucket = `(hash(__row, ${seed}) % 1000000) / 1000000.0`;
    const where = {
      train: `${bucket} < ${tr}`,
      validation: `${bucket} >= ${tr} AND ${bucket} < ${tr + va}`,
      test: `${bucket} >= ${tr + va}`,
    };
    const counts: Record<string, number> = {};
    for (const [split, cond] of Object.entries(where)) {
      await mkdir(path.join(dir, split), { recursive: true });
      const file = path.join(dir, split, "part-0.parquet");
      await conn.run(
        `COPY (SELECT ${cols.join(", ")} FROM src WHERE ${cond} ORDER BY __row) TO '${file}' (FORMAT parquet)`,
      );
      counts[split] = Number((await conn.runAndReadAll(`SELECT count(*) FROM src WHERE ${cond}`)).getRows()[0]?.[0]);
    }
    const stats: StatsJson = {
      formatVersion: 1,
      rows: {
        read: rows,
        dropped: 0,
        train: counts.train ?? 0,
        validation: counts.validation ?? 0,
        test: counts.test ?? 0,
      },
      columns: [],
    };
    await writeFile(path.join(dir, "preprocessing.json"), JSON.stringify(o.pre, null, 2));
    await writeFile(path.join(dir, "stats.json"), JSON.stringify(stats, null, 2));
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  const files: ManifestJson["files"] = [];
  for (const rel of ["preprocessing.json", "stats.json", ...(await parquetFiles(dir))]) {
    const bytes = await readFile(path.join(dir, rel));
    files.push({ path: rel, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.byteLength });
  }
  const manifest = `${JSON.stringify({ formatVersion: 1, kind: "DataSet", files } satisfies ManifestJson, null, 2)}\n`;
  await writeFile(path.join(dir, "manifest.json"), manifest);
  return `sha256:${createHash("sha256").update(manifest).digest("hex")}`;
}

async function parquetFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const split of ["train", "validation", "test"]) {
    for (const f of (await readdir(path.join(dir, split))).sort()) out.push(`${split}/${f}`);
  }
  return out;
}

/**
 * Seeded Gaussian-ish blobs: `classes` centres in `width` dimensions, uniform noise of ±`spread` around them
 * (from DuckDB's hash, so deterministic), label = row mod classes. `classes` 0 makes a regression target instead:
 * the sum of the first three features plus noise.
 */
export function blobs(rows: number, width: number, classes: number, spread = 1.5, seed = 11): FixtureOptions {
  const noise = (j: number | string) => `((hash(i, ${seed}, ${j}) % 2000001)::DOUBLE / 1000000.0 - 1.0)`;
  const centre = (j: number) =>
    `(((hash(i % ${Math.max(classes, 1)}, ${seed + 1}, ${j}) % 2001)::DOUBLE / 1000.0 - 1.0) * 2)`;
  const featureNames = Array.from({ length: width }, (_, j) => `f${j}`);
  const features = featureNames.map((f, j) => `${centre(j)} + ${spread} * ${noise(j)} AS ${f}`);
  const target = classes === 0 ? `f0 + f1 + f2 + 0.1 * ${noise("'t'")}` : `(i % ${classes})::INTEGER`;
  const inner = `SELECT i, ${features.join(", ")} FROM range(${rows}) t(i)`;
  return {
    select: `SELECT ${featureNames.join(", ")}, ${target} AS label FROM (${inner})`,
    pre: {
      formatVersion: 1,
      inputColumns: featureNames.map((name) => ({ name, type: "number" as const })),
      fill: {},
      features: featureNames.map((column) => ({ kind: "identity" as const, column })),
      featureNames,
      target:
        classes === 0
          ? { column: "label", task: "regression" }
          : {
              column: "label",
              task: classes === 2 ? "binary" : "multiclass",
              classes: Array.from({ length: classes }, (_, c) => `c${c}`),
            },
      hashedColumns: [],
    },
  };
}
