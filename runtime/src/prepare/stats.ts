// Per-column statistics of the split's parts (TFDV-like, runtime/src/contract/artifacts.ts ColumnStats) computed in
// DuckDB: numeric columns in one aggregate pass plus one histogram pass (DuckDB's histogram aggregate); categorical
// columns by value counts (top 100 plus __other__), all in one pass. Fitted values are rounded to 12 significant
// digits: parallel sums differ in the last bits from run to run, and the rounded value is what standardize uses, so
// the output stays byte-identical.
// Quantiles are exact (quantile_cont) up to QUANTILE_SAMPLE rows; above, they are the exact quantiles of a fixed
// pseudo-random sample of about that many rows (split.ts sampleSql: the same rows every run), the rest exact.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ColumnStats } from "../contract/artifacts.js";
import type { ColumnType } from "./spec.js";
import { PART_CODE, type Part } from "./split.js";
import { ident } from "./sql.js";

const QUANTILES = {
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
const TOP_CATEGORIES = 100;
/** Rows above which quantiles come from a sample of about this size (rank error σ ≤ 0.5/√m ≈ 0.14 percentile points). */
export const QUANTILE_SAMPLE = 131072;

const round12 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(12)) : x);

export const isNumeric = (t: ColumnType) => t === "number" || t === "integer";

/**
 * The histogram's bins in one aggregate per column. DuckDB's histogram(x, boundaries) counts each value into the
 * first boundary ≥ it (bins (edges[i-1], edges[i]], values above the last one under a NULL key): one binary search per
 * value, a quarter of the CPU of the nine `count_if(x <= edge)` it replaces. Integer columns keep those comparisons:
 * the aggregate would cast the edges to the column's type.
 */
function histogramSql(col: StatsColumn, edges: number[], alias: string): string[] {
  if (col.type === "integer") return edges.map((e, j) => `count_if(${ident(col.name)} <= ${e}) AS ${alias}_${j}`);
  // Each edge as the double JS holds (its shortest decimal form parses back to the same double).
  return [`histogram(${ident(col.name)}, [${edges.map((e) => `'${e}'`).join(", ")}]::DOUBLE[]) AS ${alias}`];
}

/** The cumulative counts (values ≤ each edge) from histogramSql's result columns. */
function cumulativeOf(col: StatsColumn, edges: number[], alias: string, row: Record<string, unknown> | undefined) {
  if (col.type === "integer") return edges.map((_, j) => Number(row?.[`${alias}_${j}`] ?? 0));
  const bins = new Map<number, number>();
  for (const { key, value } of (row?.[alias] as { key: number | null; value: unknown }[] | null) ?? []) {
    if (key !== null) bins.set(Number(key), Number(value));
  }
  let sum = 0;
  return edges.map((e) => {
    sum += bins.get(e) ?? 0;
    return sum;
  });
}

/** Bin i counts values in (edges[i-1], edges[i]]; bin 0 is (-inf, edges[0]], the last (edges[last], +inf). */
function binCounts(cumulative: number[], total: number): number[] {
  return [...cumulative, total].map((c, i) => c - (i > 0 ? (cumulative[i - 1] as number) : 0));
}

type StatsColumn = { name: string; type: ColumnType };

/** The columns whose statistics a part needs, and the predicate choosing its quantiles' rows (all when absent). */
export interface StatsRequest {
  part: Part;
  columns: StatsColumn[];
  sample?: string | undefined;
}

/**
 * Numeric statistics of one part in two ungrouped passes (grouping by part would run DuckDB's hash aggregate, several
 * times slower per row): count, mean, std, min, max and quantiles, then the histogram's cumulative counts.
 */
async function numericStats(
  db: DuckDBConnection,
  from: string,
  part: Part,
  columns: StatsColumn[],
  nulls: Map<string, number>,
  sample: string | undefined,
): Promise<ColumnStats[]> {
  const where = `__part = ${PART_CODE[part]}`;
  const aggs = columns.flatMap((c, i) => {
    const x = `CAST(${ident(c.name)} AS DOUBLE)`;
    return [
      `count(${x}) AS c${i}`,
      // A compensated sum: its last bits do not depend on how rows are shared among threads, which a plain sum's
      // do, enough to change the 12th digit of a mean near zero (centred data) from run to run.
      `fsum(${x}) / count(${x}) AS m${i}`,
      `stddev_samp(${x}) AS s${i}`,
      `min(${x}) AS lo${i}`,
      `max(${x}) AS hi${i}`,
      `quantile_cont(${x}, [${PROBES.join(", ")}])${sample ? ` FILTER (WHERE ${sample})` : ""} AS q${i}`,
    ];
  });
  const row = (await db.runAndReadAll(`SELECT ${aggs.join(", ")} FROM ${from} WHERE ${where}`)).getRowObjectsJS()[0];
  const edgesOf = new Map<number, number[]>();
  const out = columns.map((c, i): ColumnStats => {
    const stats: ColumnStats = {
      name: c.name,
      type: "numeric",
      count: Number(row?.[`c${i}`] ?? 0),
      nulls: nulls.get(c.name) ?? 0,
      histogram: { kind: "numeric", edges: [], counts: [] },
    };
    if (stats.count > 0) {
      const qs = ((row?.[`q${i}`] as number[] | null) ?? []).map(round12);
      const at = (p: number) => qs[PROBES.indexOf(p)] as number;
      stats.mean = round12(Number(row?.[`m${i}`]));
      stats.std = stats.count > 1 ? round12(Number(row?.[`s${i}`])) : 0;
      stats.min = round12(Number(row?.[`lo${i}`]));
      stats.max = round12(Number(row?.[`hi${i}`]));
      stats.quantiles = Object.fromEntries(Object.entries(QUANTILES).map(([k, p]) => [k, at(p)]));
      edgesOf.set(i, [...new Set(DECILES.map(at))]);
    }
    return stats;
  });
  if (edgesOf.size > 0) {
    const aggs = [...edgesOf].flatMap(([i, edges]) => histogramSql(columns[i] as StatsColumn, edges, `h${i}`));
    const h = (await db.runAndReadAll(`SELECT ${aggs.join(", ")} FROM ${from} WHERE ${where}`)).getRowObjectsJS()[0];
    for (const [i, edges] of edgesOf) {
      const stats = out[i] as ColumnStats;
      const cumulative = cumulativeOf(columns[i] as StatsColumn, edges, `h${i}`, h);
      stats.histogram = { kind: "numeric", edges, counts: binCounts(cumulative, stats.count) };
    }
  }
  return out;
}

/**
 * The statistics of each request's columns over its part of `from` (which has the part code in `__part`): numeric
 * ones in two passes per part, categorical ones of every part in one pass.
 */
export async function columnStats(
  db: DuckDBConnection,
  from: string,
  requests: StatsRequest[],
  nulls: Map<string, number>,
): Promise<ColumnStats[][]> {
  const out = requests.map(() => new Map<string, ColumnStats>());
  const partsOf = (items: { part: Part }[]) => [...new Set(items.map((i) => PART_CODE[i.part]))];
  for (const [k, r] of requests.entries()) {
    const numeric = r.columns.filter((c) => isNumeric(c.type));
    if (numeric.length === 0) continue;
    for (const s of await numericStats(db, from, r.part, numeric, nulls, r.sample)) out[k]?.set(s.name, s);
  }
  const categorical = requests.flatMap((r, k) =>
    r.columns.filter((c) => !isNumeric(c.type)).map((c) => ({ k, part: r.part, c })),
  );
  if (categorical.length > 0) {
    // One grouping set per column (and part): the value counts, their total over the non-null values, and the top
    // ones, ordered by count then value.
    const columns = [...new Set(categorical.map((n) => n.c.name))];
    const v = columns.map((c, i) => `CAST(${ident(c)} AS VARCHAR) AS v${i}`);
    const g = columns.map((_, i) => `WHEN grouping(v${i}) = 0 THEN ${i}`).join(" ");
    const rows = (
      await db.runAndReadAll(
        `SELECT p, g, v, n, total FROM (SELECT p, g, v, n, sum(n) OVER (PARTITION BY p, g) AS total, ` +
          `row_number() OVER (PARTITION BY p, g ORDER BY n DESC, v) AS r FROM (` +
          `SELECT __part AS p, CASE ${g} END AS g, coalesce(${columns.map((_, i) => `v${i}`).join(", ")}) AS v, count(*) AS n ` +
          `FROM (SELECT __part, ${v.join(", ")} FROM ${from} WHERE __part IN (${partsOf(categorical).join(", ")})) ` +
          `GROUP BY GROUPING SETS (${columns.map((_, i) => `(__part, v${i})`).join(", ")})) WHERE v IS NOT NULL) ` +
          `WHERE r <= ${TOP_CATEGORIES + 1} ORDER BY p, g, r`,
      )
    ).getRowObjectsJS();
    for (const n of categorical) {
      const i = columns.indexOf(n.c.name);
      const mine = rows.filter((r) => Number(r.g) === i && Number(r.p) === PART_CODE[n.part]);
      const total = Number(mine[0]?.total ?? 0);
      const counts: Record<string, number> = {};
      for (const r of mine.slice(0, TOP_CATEGORIES)) counts[String(r.v)] = Number(r.n);
      const shown = Object.values(counts).reduce((a, b) => a + b, 0);
      if (total > shown) counts.__other__ = total - shown;
      out[n.k]?.set(n.c.name, {
        name: n.c.name,
        type: "categorical",
        count: total,
        nulls: nulls.get(n.c.name) ?? 0,
        histogram: { kind: "categorical", counts },
      });
    }
  }
  return requests.map((r, k) => r.columns.map((c) => out[k]?.get(c.name) as ColumnStats));
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
