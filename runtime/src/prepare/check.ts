// The schema check, before any work, in the one pass that parses the source: the typed relation (clean.ts) is
// written to a scratch Parquet file, whose metadata gives the row count and the missing values per column; a value
// that does not cast shows as a missing value the raw data did not have. Only then (a failing run) is the source
// read again, to name the column, the type and the first offending rows (values truncated, and withheld for pii
// columns). Ragged CSV rows fail in the pass itself, with their line number only.
import type { DuckDBConnection } from "@duckdb/node-api";
import { typedName, typedSql } from "./clean.js";
import { noSpaceError, PrepareError, PrepareReason } from "./errors.js";
import type { Plan } from "./plan.js";
import type { RawRelation } from "./read.js";
import { castSql, ident, lit, parquetWrite } from "./sql.js";

export interface CheckResult {
  rows: number;
  /** Missing values per column in the raw data. */
  nulls: Map<string, number>;
}

const badValue = (c: string, type: Parameters<typeof castSql>[1]) =>
  `${ident(c)} IS NOT NULL AND ${castSql(ident(c), type)} IS NULL`;

/** Turns DuckDB's CSV error into a message without the line's content (it may hold personal data). */
function describeReadError(err: unknown, source: string): PrepareError {
  const full = noSpaceError(err, `writing the typed copy of ${source} to scratch`);
  if (full) return full;
  const text = (err as Error).message;
  const line = /Line: (\d+)/.exec(text)?.[1];
  const expected = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(text);
  if (expected) {
    return new PrepareError(
      PrepareReason.MalformedData,
      `${source}: line ${line ?? "?"} has ${expected[2]} fields where the header has ${expected[1]}; fix the ragged row or its quoting`,
    );
  }
  const first = text.split("\n")[0]?.replace(/".*"/g, '"…"') ?? "unreadable";
  return new PrepareError(PrepareReason.MalformedData, `${source}: ${first}${line ? ` (line ${line})` : ""}`);
}

/**
 * Writes the typed relation to `typedFile` and checks it. Uncompressed: the file lives only for this run, in scratch,
 * and LZ4 cost half as much CPU again as the parse itself (1 M rows: 1.1 s parse, +1.2 s LZ4 write, +0.6 s plain);
 * the file is about 1.4× the LZ4 one (66 MB per million rows of the bench's 11 columns).
 */
export async function checkSchema(
  db: DuckDBConnection,
  raw: RawRelation,
  columns: Plan["columns"],
  source: string,
  typedFile: string,
  threads: number,
): Promise<CheckResult> {
  const file = lit(typedFile);
  try {
    await db.run(
      `COPY (${typedSql(raw.from, columns, raw.carry)}) TO ${file} (${parquetWrite("uncompressed", threads)})`,
    );
  } catch (err) {
    throw describeReadError(err, source);
  }
  const meta = await db.runAndReadAll(
    `SELECT path_in_schema AS c, sum(stats_null_count) AS n, count(*) - count(stats_null_count) AS unknown FROM parquet_metadata(${file}) GROUP BY 1`,
  );
  const counts = new Map(meta.getRowObjectsJS().map((r) => [String(r.c), r] as const));
  const rows = Number(
    (await db.runAndReadAll(`SELECT num_rows FROM parquet_file_metadata(${file})`)).getRowsJS()[0]?.[0] ?? 0,
  );
  if (rows === 0) throw new PrepareError(PrepareReason.TooFewRows, `${source} has a header but no rows`);
  let nulls = columns.map((_, i) => Number(counts.get(typedName(i))?.n ?? Number.NaN));
  if (columns.some((_, i) => Number(counts.get(typedName(i))?.unknown ?? 1) > 0)) {
    // The writer left a null count out of the metadata: count them.
    const r = await db.runAndReadAll(
      `SELECT ${columns.map((_, i) => `count(*) - count(${typedName(i)})`).join(", ")} FROM read_parquet(${file})`,
    );
    nulls = (r.getRowsJS()[0] ?? []).map(Number);
  }
  const missing = Number(
    (await db.runAndReadAll(`SELECT sum(__nulls) FROM read_parquet(${file})`)).getRowsJS()[0]?.[0] ?? 0,
  );
  if (nulls.reduce((a, b) => a + b, 0) > missing) await reportBadValues(db, raw, columns);
  return { rows, nulls: new Map(columns.map((c, i) => [c.name, nulls[i] as number])) };
}

/** The failing path: reads the source again to find the first column with values that do not cast, and its rows. */
async function reportBadValues(db: DuckDBConnection, raw: RawRelation, cols: Plan["columns"]) {
  const counts = await db.runAndReadAll(
    `SELECT ${cols.map((c, i) => `count(*) FILTER (WHERE ${badValue(c.name, c.type)}) AS b${i}`).join(", ")} FROM ${raw.from}`,
  );
  const row = counts.getRowObjectsJS()[0] ?? {};
  for (const [i, c] of cols.entries()) {
    const bad = Number(row[`b${i}`]);
    if (bad === 0) continue;
    const sample = await db.runAndReadAll(
      `SELECT rn, CAST(${ident(c.name)} AS VARCHAR) AS v FROM (SELECT row_number() OVER () AS rn, ${ident(c.name)} FROM ${raw.from}) WHERE ${badValue(c.name, c.type)} ORDER BY rn LIMIT 3`,
    );
    const shown = sample.getRowObjectsJS().map((s) => {
      const n = Number(s.rn);
      const where = raw.headerLines ? `row ${n} (line ${n + raw.headerLines})` : `row ${n}`;
      const v = String(s.v);
      return c.pii ? `${where}: <pii value withheld>` : `${where}: "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
    });
    throw new PrepareError(
      PrepareReason.SchemaMismatch,
      `column "${c.name}" should be ${c.type} but ${bad} value${bad > 1 ? "s do" : " does"} not cast${c.type === "number" || c.type === "integer" ? " to a finite number" : ""}; first ${shown.join(", ")}; fix the data or the column's type`,
    );
  }
}
