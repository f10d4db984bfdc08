import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { locate, mix32, mix32Sql, orderKeySql, partCounts, partSql, stratification } from "./split.js";
import { splitThresholds } from "./thresholds.js";

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

describe("mix32 and locate (hand-computed)", () => {
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

  it("locate finds the bucket and rank in it of a 0-based rank, or null past the end", () => {
    const counts: [number, number][] = [
      [7, 2],
      [3, 5],
    ]; // bucket 3 holds ranks 0-4, bucket 7 ranks 5-6
    expect(locate(counts, 0)).toEqual({ bucket: 3, offset: 0 });
    expect(locate(counts, 4)).toEqual({ bucket: 3, offset: 4 });
    expect(locate(counts, 5)).toEqual({ bucket: 7, offset: 0 });
    expect(locate(counts, 7)).toBeNull();
  });
});

describe("split thresholds + partSql in DuckDB", () => {
  it("assigns exactly the counts per stratum, reproducibly, and a new seed moves rows", async () => {
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    // 70 000 rows of class a, 30 000 of b: the keys fall into 2^7 buckets, so boundaries are located across buckets.
    const n = { a: 70000, b: 30000 };
    const assign = async (seed: number) => {
      await db.run(
        `CREATE OR REPLACE VIEW keyed AS SELECT r, CASE WHEN r % 10 < 7 THEN 'a' ELSE 'b' END AS __s, ${orderKeySql("r", seed)} AS __key FROM range(100000) t(r)`,
      );
      const t = await splitThresholds(db, "keyed", new Map(Object.entries(n)), f);
      const rows = await db.runAndReadAll(
        `SELECT __s, ${partSql("__s", "__key", t)} AS part, count(*) AS c, sum(r) AS sr FROM keyed GROUP BY ALL ORDER BY ALL`,
      );
      return rows.getRowObjectsJS().map((x) => `${x.__s}:${x.part}:${x.c}:${x.sr}`);
    };
    const first = await assign(42);
    expect(first.map((x) => x.split(":").slice(0, 3).join(":"))).toEqual([
      "a:0:56000",
      "a:1:7000",
      "a:2:7000",
      "b:0:24000",
      "b:1:3000",
      "b:2:3000",
    ]);
    expect(await assign(42)).toEqual(first);
    expect(await assign(43)).not.toEqual(first); // the same counts, other rows (their row sums differ)
    db.closeSync();
  });

  it("one stratum, and a part with no rows: a null threshold", async () => {
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    await db.run(`CREATE VIEW keyed AS SELECT '' AS __s, ${orderKeySql("r", 1)} AS __key FROM range(10) t(r)`);
    const t = await splitThresholds(db, "keyed", new Map([["", 10]]), { ...f, train: 0.9, validation: 0.1, test: 0 });
    expect(t[0]?.validation).toBeNull();
    const rows = await db.runAndReadAll(
      `SELECT ${partSql("__s", "__key", t)} AS part, count(*) AS c FROM keyed GROUP BY ALL ORDER BY ALL`,
    );
    expect(rows.getRowsJS().map((x) => x.map(Number))).toEqual([
      [0, 9],
      [1, 1],
    ]);
    db.closeSync();
  });
});
