// The deterministic split (pure): each stratum (a class of the target, or all rows for regression) is ordered by a
// seeded hash of the row's position in the source, and its first round(n·train) rows go to train, the next
// round(n·validation) to validation, the rest to test. Same input + same seed ⇒ the same rows in each part.
// Nothing is sorted: the order key of a row is `mix32(row ⊕ mix32(seed)) · 2³² + row` (distinct per row), and a
// part is found by comparing that key with two thresholds per stratum — the keys at ranks train and
// train + validation — which thresholds.ts finds in one pass.
import type { PrepareSpec } from "./spec.js";

export type Part = "train" | "validation" | "test";
export const PARTS: Part[] = ["train", "validation", "test"];
/** A part's code in the SQL (`__part` column). */
export const PART_CODE: Record<Part, number> = { train: 0, validation: 1, test: 2 };

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
  const wanted = PARTS.filter((p) => f[p] > 0);
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

const M32 = 4294967295;

/**
 * A 32-bit multiply–xorshift–multiply hash: every bit of x reaches the top bits, which order the rows. Short on
 * purpose: DuckDB inlines it into every filter on the part, so each reference to x is evaluated again.
 */
export function mix32(x: number, k1 = 0x9e3779b1, k2 = 0x85ebca6b): number {
  const h = Math.imul(x >>> 0, k1) >>> 0;
  return Math.imul(h ^ (h >>> 16), k2) >>> 0;
}

/** mix32 in DuckDB SQL over a UBIGINT expression below 2³² (stable across DuckDB versions, unlike hash()). */
export function mix32Sql(x: string, k1 = 0x9e3779b1, k2 = 0x85ebca6b): string {
  const h = `((${x} * ${k1}) & ${M32})`;
  return `((xor(${h}, ${h} >> 16) * ${k2}) & ${M32})`;
}

/** The most rows a split handles: the order key packs the row number into 32 bits. */
export const MAX_SPLIT_ROWS = 2 ** 32 - 1;

/** A row's order key (UBIGINT), given its 0-based source row number (< 2³²). */
export function orderKeySql(row: string, seed: number): string {
  const r = `CAST(${row} AS UBIGINT)`;
  return `((${mix32Sql(`xor(${r}, ${mix32(Math.trunc(seed) >>> 0)})`)} << 32) | ${r})`;
}

/** A row's sample hash (another mix32, independent of the seed): `sampleSql` keeps a fixed fraction of rows by it. */
export const sampleHashSql = (row: string) => mix32Sql(`CAST(${row} AS UBIGINT)`, 0xcc9e2d51, 0x1b873593);

/** About `fraction` of the rows, the same ones every run, given the column holding sampleHashSql. */
export function sampleSql(hash: string, fraction: number): string {
  return `${hash} < ${Math.ceil(Math.min(1, fraction) * 2 ** 32)}`;
}

/** A stratum's thresholds: keys below `train` are train, below `validation` validation, the rest test (null: ∞). */
export interface Thresholds {
  stratum: string;
  train: bigint | null;
  validation: bigint | null;
}

/** The SQL of a row's part code, given its stratum and order key expressions and every stratum's thresholds. */
export function partSql(stratum: string, key: string, all: Thresholds[]): string {
  // The key is referenced twice whatever the number of strata: each threshold is looked up by stratum.
  const NONE = "18446744073709551615"; // above every key: rows are numbered below 2³² − 1
  const quote = (s: string) => `'${s.replaceAll("'", "''")}'`;
  const threshold = (part: "train" | "validation") => {
    const value = (t: Thresholds) => String(t[part] ?? NONE);
    if (all.length === 1) return value(all[0] as Thresholds);
    return `(CASE ${stratum} ${all.map((t) => `WHEN ${quote(t.stratum)} THEN ${value(t)}`).join(" ")} END)`;
  };
  return `CASE WHEN ${key} < ${threshold("train")} THEN ${PART_CODE.train} WHEN ${key} < ${threshold("validation")} THEN ${PART_CODE.validation} ELSE ${PART_CODE.test} END`;
}
