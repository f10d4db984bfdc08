import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { mix32, mix32Sql, orderKeySql, partCounts, partSql, stratification } from "./split.js";
import { hashWindow, scanSplit } from "./thresholds.js";

const f = { train: 0.8, validation: 0.1, test: 0.1, seed: 42 };

describe("partCounts (hand-computed)", () => {
  it("rounds half up per part and gives test the rest", () => {
    expect(partCounts(10, f)).toEqual({ train: 8, validation: 1, test: 1 });
    expect(partCounts(7, f)).toEqual({ train: 6, validation: 1, test: 0 }); // 5.6→6, 0.7→1, rest 0
    expect(partCounts(3, { ...f, train: 0.5, validation: 0.25, test: 0.25 })).toEqual({
      train: 2, // 1.5 → 2
      validation: 1, // 0.75 → 1
      test: 0,
    });
    expect(partCounts(1, f)).toEqual({ train: 1, validation: 0, test: 0 });
  });
});

describe("stratification", () => {
  it("stratifies when every class fills every part, and says which class is too small otherwise", () => {
    expect(
      stratification(
        new Map([
          ["a", 20],
          ["b", 10],
        ]),
        f,
      ),
    ).toEqual({ stratified: true });
    expect(
      stratification(
        new Map([
          ["a", 20],
          ["b", 3],
        ]),
        f,
      ),
    ).toEqual({
      stratified: false,
      note: 'split not stratified: class "b" has 3 rows, too few to put one in validation',
    });
  });
});

describe("mix32 and hashWindow (hand-computed)", () => {
  it("mix32 multiplies, xor-shifts, multiplies (mod 2^32), in JS and in DuckDB alike", async () => {
    // 1 · 0x9e3779b1 = 0x9e3779b1; ⊕ >>16 → 0x9e37e786; · 0x85ebca6b mod 2^32 → 0x640f8102 (Python big integers)
    expect(mix32(1)).toBe(0x640f8102);
    expect(mix32(0)).toBe(0);
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    const r = await db.runAndReadAll(
      `SELECT ${mix32Sql("CAST(x AS UBIGINT)")} FROM (VALUES (1), (2), (4294967295)) v(x)`,
    );
    expect(r.getRowsJS().map((x) => Number(x[0]))).toEqual([1, 2, 4294967295].map((x) => mix32(x)));
    db.closeSync();
  });

  it("hashWindow spans 7 standard deviations of the boundary's order statistic (+ 2 rows of rounding) each side", () => {
    // p = 0.8, n = 10^6: σ = √(0.8 · 0.2 / 10^6) = 0.0004, so ±(0.0028 + 0.000002) around 0.8 · 2^32.
    const [lo, hi] = hashWindow(0.8, 1e6);
    expect(lo).toBe(Math.floor(0.797198 * 2 ** 32));
    expect(hi).toBe(Math.ceil(0.802802 * 2 ** 32));
    expect(hashWindow(0.5, 1)).toEqual([0, 2 ** 32]); // clamped to the range
  });
});

describe("scanSplit + partSql in DuckDB", () => {
  const counts = async (seed: number, guess: number, stratified = true) => {
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    // 70 000 rows of class a, 30 000 of b, one row without a value of x.
    await db.run(
      `CREATE VIEW keyed AS SELECT r, CASE WHEN r % 10 < 7 THEN 'a' ELSE 'b' END AS cls, CASE WHEN r = 5 THEN NULL ELSE r END AS x, ${orderKeySql("r", seed)} AS __key FROM range(100000) t(r)`,
    );
    const scan = await scanSplit(db, "keyed", "cls", ["x"], f, guess);
    const t = await scan.thresholds(stratified);
    const rows = await db.runAndReadAll(
      `SELECT cls, ${partSql(stratified ? "cls" : "''", "__key", t)} AS part, count(*) AS c, sum(r) AS sr FROM keyed GROUP BY ALL ORDER BY ALL`,
    );
    db.closeSync();
    return { scan, parts: rows.getRowObjectsJS().map((x) => `${x.cls}:${x.part}:${x.c}:${x.sr}`) };
  };
  const shape = (parts: string[]) => parts.map((x) => x.split(":").slice(0, 3).join(":"));

  it("counts classes and missing values, assigns exactly the counts per stratum, reproducibly; a new seed moves rows", async () => {
    const first = await counts(42, 100000);
    expect(first.scan.sizes).toEqual(
      new Map([
        ["a", 70000],
        ["b", 30000],
      ]),
    );
    expect(first.scan.missing).toEqual([1]);
    expect(shape(first.parts)).toEqual(["a:0:56000", "a:1:7000", "a:2:7000", "b:0:24000", "b:1:3000", "b:2:3000"]);
    expect((await counts(42, 100000)).parts).toEqual(first.parts);
    expect((await counts(43, 100000)).parts).not.toEqual(first.parts); // the same counts, other rows
    // A guess far above the rows makes the first windows too narrow: the wider passes find the same thresholds.
    expect((await counts(42, 1e12)).parts).toEqual(first.parts);
  });

  it("one stratum: the classes' windows merged", async () => {
    const { parts } = await counts(42, 100000, false);
    const per = (p: number) =>
      parts.filter((x) => x.split(":")[1] === String(p)).reduce((a, x) => a + Number(x.split(":")[2]), 0);
    expect([per(0), per(1), per(2)]).toEqual([80000, 10000, 10000]);
  });

  it("a part with no rows: a null threshold", async () => {
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    await db.run(`CREATE VIEW keyed AS SELECT ${orderKeySql("r", 1)} AS __key FROM range(10) t(r)`);
    const scan = await scanSplit(db, "keyed", "''", [], { ...f, train: 0.9, validation: 0.1, test: 0 }, 10);
    const t = await scan.thresholds(false);
    expect(t[0]?.validation).toBeNull();
    const rows = await db.runAndReadAll(
      `SELECT ${partSql("''", "__key", t)} AS part, count(*) AS c FROM keyed GROUP BY ALL ORDER BY ALL`,
    );
    expect(rows.getRowsJS().map((x) => x.map(Number))).toEqual([
      [0, 9],
      [1, 1],
    ]);
    db.closeSync();
  });
});
