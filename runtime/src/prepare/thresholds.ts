// The split's counts and thresholds from the data in one pass and no sort. A row's order key is hash · 2³² + row
// (split.ts), the hash uniform over 32 bits, so the row at rank r of a stratum of n rows has a hash near the
// fraction r/n of the range. Per stratum the pass counts the rows, the rows below a narrow hash window around each
// boundary fraction (train, train + validation) and collects the keys inside it; the boundary key is then the
// window's (r − below)-th key. A window is 7 standard deviations of the boundary's order statistic wide; for a
// stratum much smaller than guessed it may miss, and a second pass with windows sized for the now known strata
// follows (a third covers the whole range). Memory is the windows' keys: a few per mille of the rows.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PrepareSpec } from "./spec.js";
import { partCounts, type Thresholds } from "./split.js";
import { ident } from "./sql.js";

const RANGE = 2 ** 32;

/** The hash window [lo, hi) that holds the key at fraction p of a stratum of n rows, with 7σ to spare. */
export function hashWindow(p: number, n: number): [number, number] {
  const d = 7 * Math.sqrt(Math.max(p * (1 - p), 1 / n) / n) + 2 / n;
  const clamp = (x: number) => Math.min(RANGE, Math.max(0, x));
  return [clamp(Math.floor((p - d) * RANGE)), clamp(Math.ceil((p + d) * RANGE))];
}

/** What the pass gives per group (a class, or everything): rows, inputs' non-null counts, and the two windows. */
interface Group {
  n: number;
  nonNull: number[];
  below: [number, number];
  keys: [bigint[], bigint[]];
}

const byKey = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

async function pass(
  db: DuckDBConnection,
  from: string,
  group: string,
  counted: string[],
  windows: [[number, number], [number, number]],
): Promise<Map<string, Group>> {
  const win = windows.flatMap(([lo, hi], j) => [
    `count_if(__h < ${lo}) AS b${j}`,
    `list(__key) FILTER (WHERE __h >= ${lo} AND __h < ${hi}) AS w${j}`,
  ]);
  const rows = await db.runAndReadAll(
    `SELECT ${group} AS s, count(*) AS n${counted.map((c, i) => `, count(${ident(c)}) AS c${i}`).join("")}, ${win.join(", ")} ` +
      `FROM (SELECT *, __key >> 32 AS __h FROM ${from}) GROUP BY 1`,
  );
  return new Map(
    rows.getRowObjectsJS().map((r) => [
      String(r.s),
      {
        n: Number(r.n),
        nonNull: counted.map((_, i) => Number(r[`c${i}`])),
        below: [Number(r.b0), Number(r.b1)],
        keys: [(r.w0 as bigint[] | null) ?? [], (r.w1 as bigint[] | null) ?? []],
      },
    ]),
  );
}

export interface SplitScan {
  /** Rows per class (classification) or under "" (regression). */
  sizes: Map<string, number>;
  /** Missing values left per counted column. */
  missing: number[];
  /** Thresholds of the strata, given whether the classes are strata (decided from `sizes`). */
  thresholds(stratified: boolean): Promise<Thresholds[]>;
}

/**
 * One pass over `from` (order key in `__key`), grouped by `group` (the class, or a constant): class sizes, missing
 * values left in `counted`, and what locates each stratum's boundary keys. `guess` is an upper bound of the rows.
 */
export async function scanSplit(
  db: DuckDBConnection,
  from: string,
  group: string,
  counted: string[],
  f: PrepareSpec["split"],
  guess: number,
): Promise<SplitScan> {
  const fractions = [f.train, f.train + f.validation] as const;
  const windowsFor = (n: number) =>
    fractions.map((p) => hashWindow(p, Math.max(1, n))) as [[number, number], [number, number]];
  // Sized for a stratum of a sixteenth of the rows: larger ones are well inside, smaller ones may need pass two.
  let windows = windowsFor(guess / 16);
  let groups = await pass(db, from, group, counted, windows);
  const sizes = new Map([...groups].map(([s, g]) => [s, g.n]));
  const missing = counted.map((_, i) => [...groups.values()].reduce((a, g) => a + g.n - (g.nonNull[i] ?? 0), 0));

  const locate = (strata: Map<string, Group>) => {
    const out: Thresholds[] = [];
    for (const [stratum, g] of strata) {
      const c = partCounts(g.n, f);
      const at = (j: 0 | 1, rank: number): bigint | null | undefined => {
        if (rank >= g.n) return null; // no row there: the threshold is +∞
        const offset = rank - g.below[j];
        const keys = g.keys[j];
        return offset >= 0 && offset < keys.length ? keys.sort(byKey)[offset] : undefined;
      };
      const train = at(0, c.train);
      const validation = at(1, c.train + c.validation);
      if (train === undefined || validation === undefined) return undefined;
      out.push({ stratum, train, validation });
    }
    return out;
  };
  const merged = (all: Map<string, Group>) => {
    const one: Group = { n: 0, nonNull: [], below: [0, 0], keys: [[], []] };
    for (const g of all.values()) {
      one.n += g.n;
      for (const j of [0, 1] as const) {
        one.below[j] += g.below[j];
        one.keys[j].push(...g.keys[j]);
      }
    }
    return new Map([["", one]]);
  };
  return {
    sizes,
    missing,
    async thresholds(stratified: boolean) {
      for (let attempt = 0; ; attempt++) {
        const strata = stratified ? groups : merged(groups);
        const found = locate(strata);
        if (found) return found;
        // A window missed its boundary: widen the windows for the smallest stratum, then to the whole range.
        const smallest = Math.min(...[...strata.values()].map((g) => g.n));
        windows =
          attempt === 0
            ? windowsFor(smallest / 4)
            : [
                [0, RANGE],
                [0, RANGE],
              ];
        groups = await pass(db, from, group, [], windows);
      }
    },
  };
}
