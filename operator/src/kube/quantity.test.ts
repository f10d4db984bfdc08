import { describe, expect, it } from "vitest";
import { parseQuantity } from "./quantity.js";

describe("parseQuantity", () => {
  it.each([
    ["500m", 0.5],
    ["0.5", 0.5],
    [".5", 0.5],
    ["1", 1],
    [1, 1],
    ["2k", 2000],
    ["1M", 1e6],
    ["1Ki", 1024],
    ["1Gi", 1073741824],
    ["1.5Mi", 1.5 * 1024 * 1024],
    ["1e3", 1000],
    ["1E", 1e18],
    ["100n", 1e-7],
    ["-2", -2],
    ["+3", 3],
    [" 4 ", 4],
  ])("%j is %d", (q, n) => {
    expect(parseQuantity(q)).toBeCloseTo(n, 12);
  });

  it.each([["abc"], ["1Gb"], ["1 Gi"], [""], ["Gi"], [Number.NaN], [Number.POSITIVE_INFINITY], [null], [{}], [true]])(
    "%j is not a quantity",
    (q) => {
      expect(parseQuantity(q)).toBeUndefined();
    },
  );
});
