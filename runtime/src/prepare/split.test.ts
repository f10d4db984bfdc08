import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { orderKeySql, partCounts, partSql, stratification } from "./split.js";

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

describe("partSql + orderKeySql in DuckDB", () => {
  it("assigns exactly the counts per stratum, reproducibly, and a new seed moves rows", async () => {
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    const assign = async (seed: number) => {
      const rows = await db.runAndReadAll(
        `SELECT cls, r, ${partSql("rk", "n", f)} AS part FROM (SELECT cls, r, row_number() OVER (PARTITION BY cls ORDER BY ${orderKeySql("r", seed)}, r) AS rk, count(*) OVER (PARTITION BY cls) AS n FROM (SELECT r, CASE WHEN r < 20 THEN 'a' ELSE 'b' END AS cls FROM range(30) t(r))) ORDER BY r`,
      );
      return rows.getRowObjectsJS().map((x) => `${x.cls}:${x.part}`);
    };
    const first = await assign(42);
    const count = (cls: string, part: string) => first.filter((x) => x === `${cls}:${part}`).length;
    expect([count("a", "train"), count("a", "validation"), count("a", "test")]).toEqual([16, 2, 2]);
    expect([count("b", "train"), count("b", "validation"), count("b", "test")]).toEqual([8, 1, 1]);
    expect(await assign(42)).toEqual(first);
    expect(await assign(43)).not.toEqual(first);
    db.closeSync();
  });
});
