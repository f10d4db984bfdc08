// The schema check, before any work: one pass over the raw relation counts rows, missing values and values that do
// not cast to their column's type; a mismatch names the column, the type and the first offending rows (values
// truncated, and withheld for pii columns). Ragged CSV rows fail here too, with their line number only.
import type { DuckDBConnection } from "@duckdb/node-api";
import { PrepareError, PrepareReason } from "./errors.js";
import type { RawRelation } from "./read.js";
import type { PrepareSpec } from "./spec.js";
import { castSql, ident } from "./sql.js";

export interface CheckResult {
  rows: number;
  /** Missing values per column in the raw data. */
  nulls: Map<string, number>;
}

const badValue = (c: string, type: Parameters<typeof castSql>[1]) =>
  `${ident(c)} IS NOT NULL AND ${castSql(ident(c), type)} IS NULL`;

/** Turns DuckDB's CSV error into a message without the line's content (it may hold personal data). */
export function describeReadError(err: unknown, source: string): PrepareError {
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

export async function checkSchema(
  db: DuckDBConnection,
  raw: RawRelation,
  spec: PrepareSpec,
  source: string,
): Promise<CheckResult> {
  const cols = spec.schema.columns;
  const aggs = cols.flatMap((c, i) => [
    `count(*) FILTER (WHERE ${ident(c.name)} IS NULL) AS n${i}`,
    `count(*) FILTER (WHERE ${badValue(c.name, c.type)}) AS b${i}`,
  ]);
  let row: Record<string, unknown>;
  try {
    const r = await db.runAndReadAll(`SELECT count(*) AS rows, ${aggs.join(", ")} FROM ${raw.from}`);
    row = r.getRowObjectsJS()[0] ?? {};
  } catch (err) {
    throw describeReadError(err, source);
  }
  const rows = Number(row.rows);
  if (rows === 0) throw new PrepareError(PrepareReason.TooFewRows, `${source} has a header but no rows`);
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
      `column "${c.name}" should be ${c.type} but ${bad} value${bad > 1 ? "s do" : " does"} not cast; first ${shown.join(", ")}; fix the data or the column's type`,
    );
  }
  return { rows, nulls: new Map(cols.map((c, i) => [c.name, Number(row[`n${i}`])])) };
}
