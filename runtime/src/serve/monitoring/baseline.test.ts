import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { binsOf, OTHER, parseBaseline } from "./baseline.js";

const fixture = readFileSync(new URL("./testdata/penguins-stats.json", import.meta.url), "utf8");

describe("baseline from stats.json", () => {
  it("takes every column but the target as a feature and the target as the prediction baseline", () => {
    const b = parseBaseline(fixture);
    expect(b.features.map((f) => f.name)).toEqual(["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]);
    expect(b.prediction?.labels).toEqual(["Adelie", "Chinstrap", "Gentoo", OTHER]);
    expect(b.prediction?.expected).toEqual([22 / 50, 10 / 50, 18 / 50, 0]);
    expect(b.digest).toMatch(/^[a-f0-9]{64}$/);
  });

  it("bins numbers as (edges[i-1], edges[i]] with open ends, and sets missing values apart", () => {
    const f = binsOf({
      name: "x",
      type: "numeric",
      count: 4,
      nulls: 0,
      histogram: { kind: "numeric", edges: [1, 2], counts: [1, 2, 1] },
    });
    expect([-5, 1, 1.5, 2, 2.01, 1e9].map((v) => f.bin(v))).toEqual([0, 0, 1, 1, 2, 2]);
    expect([null, Number.NaN, "3", undefined].map((v) => f.bin(v))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(f.expected).toEqual([0.25, 0.5, 0.25]);
  });

  it("puts unseen categories in __other__, so clients cannot add bins", () => {
    const f = binsOf({
      name: "c",
      type: "categorical",
      count: 3,
      nulls: 0,
      histogram: { kind: "categorical", counts: { a: 2, b: 1 } },
    });
    expect(["a", "b", "zzz", 7].map((v) => f.bin(v))).toEqual([0, 1, 2, 2]);
    expect(f.labels).toEqual(["a", "b", OTHER]);
  });

  it("refuses a stats.json it cannot use, saying why", () => {
    expect(() => parseBaseline("{")).toThrow("baseline stats.json is not valid JSON");
    expect(() => parseBaseline('{"formatVersion":9,"columns":[]}')).toThrow(/formatVersion 9; this runtime reads 1/);
    expect(() =>
      parseBaseline(
        '{"formatVersion":1,"columns":[{"name":"x","histogram":{"kind":"numeric","edges":[1],"counts":[1]}}]}',
      ),
    ).toThrow("stats.json column 'x': a numeric histogram needs counts.length = edges.length + 1");
    expect(() => parseBaseline('{"formatVersion":1,"columns":[{"name":"y"}]}')).toThrow(
      /'y' has no numeric or categorical/,
    );
  });
});
