// Capture versions for tests, written with the capture format module (runtime/src/capture/format.ts) exactly as a
// serving pod writes them: records.parquet with the schema columns and the capture's __* columns.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { CAPTURE_COLUMNS, type CaptureEncryption, writeCaptureVersion } from "../../runtime/src/capture/format.js";

/** A column of captured records: name and DuckDB type. */
export type RecordColumn = [name: string, sqlType: string];

const lit = (v: unknown) =>
  v === null || v === undefined ? "NULL" : typeof v === "number" ? String(v) : `'${String(v).replaceAll("'", "''")}'`;

/** Writes rows (values in `columns` order) plus the capture columns as a Parquet file. */
async function recordsParquet(file: string, columns: RecordColumn[], rows: unknown[][]): Promise<void> {
  const db = await (await DuckDBInstance.create(":memory:")).connect();
  const all: RecordColumn[] = [
    ...columns,
    [CAPTURE_COLUMNS.prediction, "VARCHAR"],
    [CAPTURE_COLUMNS.predictionId, "VARCHAR"],
    [CAPTURE_COLUMNS.capturedAt, "TIMESTAMP"],
    [CAPTURE_COLUMNS.track, "VARCHAR"],
    [CAPTURE_COLUMNS.modelDigest, "VARCHAR"],
  ];
  const values = rows.map(
    (r, i) =>
      `(${[...r, "a", `p-${i}`, "2026-12-06 10:00:00", "stable", `sha256:${"0".repeat(64)}`].map(lit).join(", ")})`,
  );
  const select = all.map(([n, t], i) => `CAST(col${i} AS ${t}) AS "${n}"`).join(", ");
  await db.run(`COPY (SELECT ${select} FROM (VALUES ${values.join(", ")})) TO '${file}' (FORMAT parquet)`);
  db.closeSync();
}

/** Writes one capture version of `rows` under root/pod, at `at`. */
export async function captureVersion(
  root: string,
  columns: RecordColumn[],
  rows: unknown[][],
  o: { pod?: string; seq?: number; at?: Date; encryption?: CaptureEncryption } = {},
) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "liftoff-records-")), "records.parquet");
  await recordsParquet(file, columns, rows);
  return writeCaptureVersion(root, o.pod ?? "penguins-7d9f-abcde", file, o.encryption, o.seq ?? 0, o.at ?? new Date());
}
