// The split's thresholds from the data, in two small queries and no sort: the rows per stratum and bucket of the
// order key's top bits, which locate the bucket and rank of each boundary row (split.ts locate), then the sorted
// keys of only those buckets, which give the boundary keys. Memory stays bounded by the number of buckets.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PrepareSpec } from "./spec.js";
import { bucketBits, bucketSql, locate, partCounts, type Thresholds } from "./split.js";
import { lit } from "./sql.js";

/**
 * `from` has the stratum in `__s` and the order key in `__key`; `strata` holds every stratum's size. Returns each
 * stratum's thresholds: the keys of its rows at ranks train and train + validation (null past its last row).
 */
export async function splitThresholds(
  db: DuckDBConnection,
  from: string,
  strata: Map<string, number>,
  f: PrepareSpec["split"],
): Promise<Thresholds[]> {
  const bits = bucketBits(Math.max(...strata.values()));
  const bucket = bucketSql("__key", bits);
  const perStratum = new Map<string, [number, number][]>();
  const rows = await db.runAndReadAll(`SELECT __s AS s, ${bucket} AS b, count(*) AS n FROM ${from} GROUP BY ALL`);
  for (const r of rows.getRowObjectsJS()) {
    const list = perStratum.get(String(r.s)) ?? [];
    list.push([Number(r.b), Number(r.n)]);
    perStratum.set(String(r.s), list);
  }
  const wanted: { stratum: string; part: "train" | "validation"; bucket: number; offset: number }[] = [];
  for (const [stratum, n] of strata) {
    const c = partCounts(n, f);
    for (const [part, rank] of [
      ["train", c.train],
      ["validation", c.train + c.validation],
    ] as const) {
      const at = locate(perStratum.get(stratum) ?? [], rank);
      if (at) wanted.push({ stratum, part, ...at });
    }
  }
  const keys = new Map<string, bigint[]>();
  const id = (s: string, b: number) => `${b}:${s}`;
  if (wanted.length > 0) {
    const pairs = [...new Map(wanted.map((w) => [id(w.stratum, w.bucket), w])).values()];
    const values = pairs.map((w) => `(${lit(w.stratum)}, ${w.bucket})`).join(", ");
    const r = await db.runAndReadAll(
      `SELECT k.__s AS s, k.b, list_sort(list(k.__key)) AS keys FROM (SELECT __s, ${bucket} AS b, __key FROM ${from}) k ` +
        `JOIN (VALUES ${values}) w(s, b) ON k.__s = w.s AND k.b = w.b GROUP BY ALL`,
    );
    for (const row of r.getRowObjectsJS()) keys.set(id(String(row.s), Number(row.b)), row.keys as bigint[]);
  }
  return [...strata.keys()].map((stratum) => {
    const at = (part: "train" | "validation") => {
      const w = wanted.find((x) => x.stratum === stratum && x.part === part);
      return w ? ((keys.get(id(stratum, w.bucket)) as bigint[])[w.offset] as bigint) : null;
    };
    return { stratum, train: at("train"), validation: at("validation") };
  });
}
