// Each transform and the statistics against values computed by hand from the inline rows (split train = 1, so
// every row is a training row and the fitted values are those of the whole table).
import { createHmac } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { part, prepareInline, preprocessingOf, statsOf } from "../../../test/support/prepare.js";

const all = { train: 1, validation: 0, test: 0, seed: 1 };
const DATA = "a,b,c,y\n1,10,red,yes\n2,NA,blue,no\n3,30,red,no\nNaN,40,,no\n5,50,blue,yes\n";
const schema = {
  target: "y",
  columns: [
    { name: "a", type: "number" },
    { name: "b", type: "integer" },
    { name: "c", type: "category" },
    { name: "y", type: "category" },
  ],
};
const values = (rows: Record<string, unknown>[]) => rows.map((r) => Object.values(r));

describe("transforms (hand-computed)", () => {
  it("dropNA drops rows with pandas' missing markers; standardize uses mean and sample std; oneHot sorts", async () => {
    const { result } = await prepareInline(DATA, {
      schema,
      split: all,
      transforms: [{ type: "dropNA" }, { type: "standardize", columns: ["a", "b"] }],
    });
    // Kept (1,10,red,yes) (3,30,red,no) (5,50,blue,yes): a mean 3, std 2; b mean 30, std 20.
    expect(result.rows).toMatchObject({ read: 5, dropped: 2, total: 3, train: 3, validation: 0, test: 0 });
    const pre = preprocessingOf(result);
    expect(pre.features).toEqual([
      { kind: "standardize", column: "a", mean: 3, std: 2 },
      { kind: "standardize", column: "b", mean: 30, std: 20 },
      { kind: "oneHot", column: "c", vocabulary: ["blue", "red"] },
    ]);
    expect(pre.featureNames).toEqual(["a", "b", "c=blue", "c=red"]);
    expect(pre.target).toEqual({ column: "y", task: "binary", classes: ["no", "yes"] });
    expect(Object.keys((await part(result, "train"))[0] ?? {})).toEqual(["a", "b", "c=blue", "c=red", "y"]);
    expect(values(await part(result, "train"))).toEqual([
      [-1, -1, 0, 1, 1],
      [0, 0, 0, 1, 0],
      [1, 1, 1, 0, 1],
    ]);
  });

  it("fillNA fills before dropNA; minMax scales to [0, 1]; stats are of the cleaned rows, nulls of the raw", async () => {
    const { result } = await prepareInline(DATA, {
      schema,
      split: all,
      transforms: [
        { type: "fillNA", columns: ["b"], value: "0" },
        { type: "fillNA", columns: ["c"], value: "none" },
        { type: "dropNA", columns: ["a"] },
        { type: "minMax", columns: ["b"] },
      ],
    });
    // Kept a = 1 2 3 5, b = 10 0 30 50 (min 0, max 50).
    expect(values(await part(result, "train")).map((r) => r[1])).toEqual([0.2, 0, 0.6, 1]);
    const pre = preprocessingOf(result);
    expect(pre.fill).toEqual({ b: 0, c: "none" });
    expect(pre.features[1]).toEqual({ kind: "minMax", column: "b", min: 0, max: 50 });
    const a = statsOf(result).columns.find((c) => c.name === "a");
    expect(a).toMatchObject({ count: 4, nulls: 1, mean: 2.75, min: 1, max: 5 });
    expect(a?.std).toBeCloseTo(Math.sqrt(8.75 / 3), 10); // squares of -1.75 -0.75 0.25 2.25 sum to 8.75
    expect(a?.quantiles).toMatchObject({ p25: 1.75, p50: 2.5, p75: 3.5 });
    const c = statsOf(result).columns.find((s) => s.name === "c");
    expect(c).toMatchObject({ type: "categorical", count: 4, nulls: 1, histogram: { counts: { blue: 2, red: 2 } } });
  });

  it("numeric histogram bins are bounded by the deciles", async () => {
    const rows = Array.from({ length: 11 }, (_, i) => `${i},${i % 2 ? "p" : "q"}`).join("\n");
    const { result } = await prepareInline(`v,y\n${rows}\n`, {
      schema: {
        target: "y",
        columns: [
          { name: "v", type: "number" },
          { name: "y", type: "category" },
        ],
      },
      split: all,
    });
    // 0…10: deciles 1 2 … 9; bins (-inf,1] (1,2] … (9,+inf) → 2 1 1 1 1 1 1 1 1 1
    expect(statsOf(result).columns[0]?.histogram).toEqual({
      kind: "numeric",
      edges: [1, 2, 3, 4, 5, 6, 7, 8, 9],
      counts: [2, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    });
  });

  it("hashPII is HMAC-SHA-256 with the Vault salt; dropColumns removes a column from every file", async () => {
    const secrets = {
      readKv: async (p: string, k: string) => (p === "secret/data/team/salt" && k === "salt" ? "pepper" : ""),
      generateWrappedDataKey: async () => ({ wrappedKey: "" }),
      unwrapDataKey: async () => Buffer.alloc(32),
    };
    const { result } = await prepareInline(
      "email,phone,x,y\nann@x.org,555-1,1,a\nbob@x.org,555-2,2,b\n",
      {
        schema: {
          target: "y",
          columns: [
            { name: "email", type: "string", pii: true },
            { name: "phone", type: "string", pii: true },
            { name: "x", type: "number" },
            { name: "y", type: "category" },
          ],
        },
        split: all,
        transforms: [
          { type: "dropColumns", columns: ["phone"] },
          { type: "hashPII", saltSecret: { path: "secret/data/team/salt", key: "salt" } },
        ],
      },
      { secrets },
    );
    const pre = preprocessingOf(result);
    expect(pre.hashedColumns).toEqual(["email"]);
    expect(pre.inputColumns.map((c) => c.name)).toEqual(["email", "x"]);
    const emails = statsOf(result).columns.find((c) => c.name === "email");
    const hmac = (v: string) => createHmac("sha256", "pepper").update(v).digest("hex");
    expect(emails?.histogram).toEqual({
      kind: "categorical",
      counts: { [hmac("ann@x.org")]: 1, [hmac("bob@x.org")]: 1 },
    });
    for (const f of readdirSync(result.dir, { recursive: true }) as string[]) {
      if (!f.includes(".")) continue;
      const bytes = readFileSync(path.join(result.dir, f));
      expect(bytes.includes("ann@x.org"), f).toBe(false);
      expect(bytes.includes("555-1"), f).toBe(false);
    }
  });
});
