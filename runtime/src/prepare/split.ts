// The deterministic split (pure): each stratum (a class of the target, or all rows for regression) is ordered by a
// seeded hash of the row's position in the source, and its first round(n·train) rows go to train, the next
// round(n·validation) to validation, the rest to test. Same input + same seed ⇒ the same rows in each part.
import type { PrepareSpec } from "./spec.js";

export type Part = "train" | "validation" | "test";

/** floor(x + 0.5), the rounding SQL and JS agree on. */
const half = (x: number) => Math.floor(x + 0.5);

export function partCounts(n: number, f: PrepareSpec["split"]): Record<Part, number> {
  const train = Math.min(n, half(n * f.train));
  const validation = Math.min(n - train, half(n * f.validation));
  return { train, validation, test: n - train - validation };
}

/**
 * Stratify only when every class would put at least one row into every part with a nonzero fraction; otherwise the
 * whole data is split as one stratum and `note` says why.
 */
export function stratification(
  classCounts: Map<string, number>,
  f: PrepareSpec["split"],
): { stratified: boolean; note?: string } {
  const wanted = (["train", "validation", "test"] as const).filter((p) => f[p] > 0);
  for (const [label, n] of classCounts) {
    const counts = partCounts(n, f);
    const empty = wanted.find((p) => counts[p] === 0);
    if (empty) {
      return {
        stratified: false,
        note: `split not stratified: class "${label}" has ${n} rows, too few to put one in ${empty}`,
      };
    }
  }
  return { stratified: true };
}

/** The SQL of a row's part, given its rank (1-based) in its stratum and the stratum's size `n` (both columns). */
export function partSql(rank: string, n: string, f: PrepareSpec["split"]): string {
  const train = `least(${n}, floor(${n} * ${f.train} + 0.5))`;
  const validation = `least(${n} - ${train}, floor(${n} * ${f.validation} + 0.5))`;
  return `CASE WHEN ${rank} <= ${train} THEN 'train' WHEN ${rank} <= ${train} + ${validation} THEN 'validation' ELSE 'test' END`;
}

/** The seeded order inside a stratum: md5 of "seed:row" (stable across DuckDB versions, unlike hash()). */
export function orderKeySql(row: string, seed: number): string {
  return `md5_number('${Math.trunc(seed)}:' || ${row})`;
}
