import { describe, expect, it } from "vitest";
import { domainOf, pointAt, pointCount } from "./space.js";
import type { ParameterSpec } from "./types.js";

function domain(range: Record<string, unknown>) {
  return domainOf({ name: "x", path: "p", ...range } as ParameterSpec);
}

describe("domainOf", () => {
  it.each([
    ["a category", { categorical: { values: ["a", "b"] } }, { kind: "choice", values: ["a", "b"] }],
    ["a numeric list", { float: { values: [0.1, 0.2] } }, { kind: "choice", values: [0.1, 0.2] }],
    [
      "an int range (step 1)",
      { int: { min: 1, max: 5 } },
      { kind: "range", int: true, min: 1, max: 5, log: false, step: 1 },
    ],
    [
      "a float log range (continuous)",
      { float: { min: 1, max: 5, log: true } },
      { kind: "range", int: false, min: 1, max: 5, log: true },
    ],
  ])("reads %s", (_, range, expected) => {
    expect(domain(range)).toEqual(expected);
  });

  it("refuses a range without its ends (spaceProblems says so first)", () => {
    expect(() => domain({ float: { min: 1 } })).toThrow("parameter x: a range needs min and max, or values");
  });
});

describe("pointCount and pointAt", () => {
  it("counts a step's points up to max inclusive and tidies each", () => {
    const d = domain({ float: { min: 0.1, max: 0.7, step: 0.2 } });
    expect(pointCount(d)).toBe(4);
    expect([0, 1, 2, 3].map((k) => pointAt(d, k))).toEqual([0.1, 0.3, 0.5, 0.7]);
    expect(pointCount(domain({ int: { min: 16, max: 100, step: 16 } }))).toBe(6); // 16 … 96
    expect(pointCount(domain({ float: { min: 0, max: 1 } }))).toBe(Number.POSITIVE_INFINITY);
  });
});
