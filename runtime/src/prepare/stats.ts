// Per-column statistics of one part (TFDV-like, runtime/src/contract/artifacts.ts ColumnStats) computed in DuckDB:
// numeric columns in one aggregate pass plus one histogram pass; categorical columns by value counts (top 100 plus
// __other__), all in one pass. Fitted values are rounded to 12 significant digits: parallel sums differ in the last
// bits from run to run, and the rounded value is what standardize uses, so the output stays byte-identical.
// Quantiles are exact (quantile_cont) up to QUANTILE_SAMPLE rows; above, they are the exact quantiles of a fixed
// pseudo-random sample of about that many rows (split.ts sampleSql: the same rows every run), the rest exact.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ColumnStats } from "../contract/artifacts.js";
import type { ColumnType } from "./spec.js";
import { PART_CODE, type Part } from "./split.js";
import { ident } from "./sql.js";

export const QUANTILES = {
  p1: 0.01,
  p5: 0.05,
  p10: 0.1,
  p25: 0.25,
  p50: 0.5,
  p75: 0.75,
  p90: 0.9,
  p95: 0.95,
  p99: 0.99,
};
const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const PROBES = [...new Set([...Object.values(QUANTILES), ...DECILES])].sort((a, b) => a - b);
export const TOP_CATEGORIES = 100;
/** Rows above which quantiles come from a sample of about this size (rank error σ ≤ 0.5/√m ≈ 0.14 percentile points). */
export const QUANTILE_SAMPLE = 131072;

export const round12 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(12)) : x);

export const isNumeric = (t: ColumnType) => t === "number" || t === "integer";

/**
 * The cumulative counts a histogram is made of: values ≤ each edge (one comparison per edge and row, where a count
 * per bin filter would take two and a FILTER clause each, several times slower in DuckDB).
 */
export function cumulativeSql(col: string, edges: number[]): string[] {
  return edges.map((e) => `count_if(${ident(col)} <= ${e})`);
}

/** Bin i counts values in (edges[i-1], edges[i]]; bin 0 is (-inf, edges[0]], the last (edges[last], +inf). */
export function binCounts(cumulative: number[], total: number): number[] {
  return [...cumulative, total].map((c, i) => c - (i > 0 ? (cumulative[i - 1] as number) : 0));
}

export async function columnStats(
  db: DuckDBConnection,
  from: string,
  where: string,
  columns: { name: string; type: ColumnType }[],
  nulls: Map<string, number>,
  /** A predicate choosing the rows quantiles are computed on (all rows when absent). */
  sample?: string,
): Promise<ColumnStats[]> {
  const numeric = columns.filter((c) => isNumeric(c.type));
  const out = new Map<string, ColumnStats>();
  if (numeric.length > 0) {
    const aggs = numeric.flatMap((c, i) => {
      const x = `CAST(${ident(c.name)} AS DOUBLE)`;
      return [
        `count(${x}) AS c${i}`,
        `avg(${x}) AS m${i}`,
        `stddev_samp(${x}) AS s${i}`,
        `min(${x}) AS lo${i}`,
        `max(${x}) AS hi${i}`,
        `quantile_cont(${x}, [${PROBES.join(", ")}])${sample ? ` FILTER (WHERE ${sample})` : ""} AS q${i}`,
      ];
    });
    const row = (await db.runAndReadAll(`SELECT ${aggs.join(", ")} FROM ${from} WHERE ${where}`)).getRowObjectsJS()[0];
    const edgesOf = new Map<string, number[]>();
    for (const [i, c] of numeric.entries()) {
      const count = Number(row?.[`c${i}`] ?? 0);
      const q = ((row?.[`q${i}`] as number[] | null) ?? []).map(round12);
      const at = (p: number) => q[PROBES.indexOf(p)] as number;
      const stats: ColumnStats = {
        name: c.name,
        type: "numeric",
        count,
        nulls: nulls.get(c.name) ?? 0,
        histogram: { kind: "numeric", edges: [], counts: [] },
      };
      if (count > 0) {
        stats.mean = round12(Number(row?.[`m${i}`]));
        stats.std = count > 1 ? round12(Number(row?.[`s${i}`])) : 0;
        stats.min = round12(Number(row?.[`lo${i}`]));
        stats.max = round12(Number(row?.[`hi${i}`]));
        stats.quantiles = Object.fromEntries(Object.entries(QUANTILES).map(([k, p]) => [k, at(p)]));
        edgesOf.set(c.name, [...new Set(DECILES.map(at))]);
      }
      out.set(c.name, stats);
    }
    const withEdges = numeric.filter((c) => edgesOf.has(c.name));
    if (withEdges.length > 0) {
      const cums = withEdges.flatMap((c) => cumulativeSql(c.name, edgesOf.get(c.name) as number[]));
      const h = (await db.runAndReadAll(`SELECT ${cums.join(", ")} FROM ${from} WHERE ${where}`)).getRowsJS()[0] ?? [];
      let k = 0;
      for (const c of withEdges) {
        const edges = edgesOf.get(c.name) as number[];
        const stats = out.get(c.name) as ColumnStats;
        const counts = binCounts(h.slice(k, k + edges.length).map(Number), stats.count);
        k += edges.length;
        stats.histogram = { kind: "numeric", edges, counts };
      }
    }
  }
  const categorical = columns.filter((c) => !isNumeric(c.type));
  if (categorical.length > 0) {
    // One pass for every categorical column (a grouping set each): the value counts, their total over the non-null
    // values, and the top ones, ordered by count then value.
    const v = categorical.map((c, i) => `CAST(${ident(c.name)} AS VARCHAR) AS v${i}`);
    const g = categorical.map((_, i) => `WHEN grouping(v${i}) = 0 THEN ${i}`).join(" ");
    const rows = (
      await db.runAndReadAll(
        `SELECT g, v, n, total FROM (SELECT g, v, n, sum(n) OVER (PARTITION BY g) AS total, ` +
          `row_number() OVER (PARTITION BY g ORDER BY n DESC, v) AS r FROM (` +
          `SELECT CASE ${g} END AS g, coalesce(${categorical.map((_, i) => `v${i}`).join(", ")}) AS v, count(*) AS n ` +
          `FROM (SELECT ${v.join(", ")} FROM ${from} WHERE ${where}) ` +
          `GROUP BY GROUPING SETS (${categorical.map((_, i) => `(v${i})`).join(", ")})) WHERE v IS NOT NULL) ` +
          `WHERE r <= ${TOP_CATEGORIES + 1} ORDER BY g, r`,
      )
    ).getRowObjectsJS();
    for (const [i, c] of categorical.entries()) {
      const mine = rows.filter((r) => Number(r.g) === i);
      const total = Number(mine[0]?.total ?? 0);
      const counts: Record<string, number> = {};
      for (const r of mine.slice(0, TOP_CATEGORIES)) counts[String(r.v)] = Number(r.n);
      const shown = Object.values(counts).reduce((a, b) => a + b, 0);
      if (total > shown) counts.__other__ = total - shown;
      out.set(c.name, {
        name: c.name,
        type: "categorical",
        count: total,
        nulls: nulls.get(c.name) ?? 0,
        histogram: { kind: "categorical", counts },
      });
    }
  }
  return columns.map((c) => out.get(c.name) as ColumnStats);
}

/** DuckDB's (binary) order of strings: by UTF-8 bytes. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/**
 * Sorted distinct values (one-hot vocabularies), from the column's statistics when they hold every value (no
 * __other__ bin), else from one more pass.
 */
export async function vocabulary(
  db: DuckDBConnection,
  from: string,
  where: string,
  col: string,
  stats?: ColumnStats,
): Promise<string[]> {
  const h = stats?.histogram;
  if (h?.kind === "categorical" && !("__other__" in h.counts)) return Object.keys(h.counts).sort(byBytes);
  const v = `CAST(${ident(col)} AS VARCHAR)`;
  const rows = await db.runAndReadAll(
    `SELECT DISTINCT ${v} AS v FROM ${from} WHERE ${where} AND ${v} IS NOT NULL ORDER BY v`,
  );
  return rows.getRowObjectsJS().map((r) => String(r.v));
}

export const partIs = (part: Part) => `__part = ${PART_CODE[part]}`;
