// Per-column statistics of one part (TFDV-like, runtime/src/contract/artifacts.ts ColumnStats) computed in DuckDB:
// numeric columns in one aggregate pass plus one histogram pass; categorical columns by value counts (top 100 plus
// __other__). Fitted values are rounded to 12 significant digits: parallel sums differ in the last bits from run to
// run, and the rounded value is what standardize uses, so the output stays byte-identical.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ColumnStats } from "../contract/artifacts.js";
import type { ColumnType } from "./spec.js";
import { ident, lit } from "./sql.js";

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

export const round12 = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(12)) : x);

export const isNumeric = (t: ColumnType) => t === "number" || t === "integer";

/** Bin i counts values in (edges[i-1], edges[i]]; bin 0 is (-inf, edges[0]], the last (edges[last], +inf). */
export function histogramSql(col: string, edges: number[]): string[] {
  const c = ident(col);
  const bins = [`count(*) FILTER (WHERE ${c} <= ${edges[0]})`];
  for (let i = 1; i < edges.length; i++) {
    bins.push(`count(*) FILTER (WHERE ${c} > ${edges[i - 1]} AND ${c} <= ${edges[i]})`);
  }
  bins.push(`count(*) FILTER (WHERE ${c} > ${edges[edges.length - 1]})`);
  return bins;
}

export async function columnStats(
  db: DuckDBConnection,
  from: string,
  where: string,
  columns: { name: string; type: ColumnType }[],
  nulls: Map<string, number>,
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
        `quantile_cont(${x}, [${PROBES.join(", ")}]) AS q${i}`,
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
      const bins = withEdges.flatMap((c) => histogramSql(c.name, edgesOf.get(c.name) as number[]));
      const h = (await db.runAndReadAll(`SELECT ${bins.join(", ")} FROM ${from} WHERE ${where}`)).getRowsJS()[0] ?? [];
      let k = 0;
      for (const c of withEdges) {
        const edges = edgesOf.get(c.name) as number[];
        const counts = h.slice(k, k + edges.length + 1).map(Number);
        k += edges.length + 1;
        (out.get(c.name) as ColumnStats).histogram = { kind: "numeric", edges, counts };
      }
    }
  }
  for (const c of columns.filter((c) => !isNumeric(c.type))) {
    const v = `CAST(${ident(c.name)} AS VARCHAR)`;
    const rows = (
      await db.runAndReadAll(
        `SELECT ${v} AS v, count(*) AS n FROM ${from} WHERE ${where} AND ${v} IS NOT NULL GROUP BY 1 ORDER BY n DESC, v LIMIT ${TOP_CATEGORIES + 1}`,
      )
    ).getRowObjectsJS();
    const total = Number(
      (await db.runAndReadAll(`SELECT count(${v}) AS n FROM ${from} WHERE ${where}`)).getRowObjectsJS()[0]?.n ?? 0,
    );
    const counts: Record<string, number> = {};
    for (const r of rows.slice(0, TOP_CATEGORIES)) counts[String(r.v)] = Number(r.n);
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
  return columns.map((c) => out.get(c.name) as ColumnStats);
}

/** Sorted distinct values (one-hot vocabularies, class labels). */
export async function vocabulary(db: DuckDBConnection, from: string, where: string, col: string): Promise<string[]> {
  const v = `CAST(${ident(col)} AS VARCHAR)`;
  const rows = await db.runAndReadAll(
    `SELECT DISTINCT ${v} AS v FROM ${from} WHERE ${where} AND ${v} IS NOT NULL ORDER BY v`,
  );
  return rows.getRowObjectsJS().map((r) => String(r.v));
}

export const partIs = (part: string) => `__part = ${lit(part)}`;
