import { describe, expect, it } from "vitest";
import { bestUpTo, finalObjective, firstAtOrAfter, formatValue, valueAtOrBefore } from "./curve.js";

const CURVE = [
  { epoch: 2, value: 0.5 },
  { epoch: 4, value: 0.7 },
  { epoch: 6, value: Number.NaN },
  { epoch: 8, value: 0.6 },
];

describe("curve", () => {
  it.each([
    [1, undefined],
    [2, 0.5],
    [3, 0.5],
    [7, 0.7], // epoch 6 is not a number: the value before it stands
    [9, 0.6],
  ])("reads the value at or before epoch %d: %s", (epoch, value) => {
    expect(valueAtOrBefore(CURVE, epoch)).toBe(value);
  });

  it("finds the first point at or after an epoch, and the best so far for either goal", () => {
    expect(firstAtOrAfter(CURVE, 3)).toEqual({ epoch: 4, value: 0.7 });
    expect(firstAtOrAfter(CURVE, 9)).toBeUndefined();
    expect(bestUpTo(CURVE, 9, "maximize")).toBe(0.7);
    expect(bestUpTo(CURVE, 9, "minimize")).toBe(0.5);
    expect(bestUpTo(CURVE, 1, "minimize")).toBeUndefined();
  });

  it("takes the reported objective, else the last finite value, never a NaN", () => {
    const trial = { index: 0, parameters: {}, state: "Succeeded" as const, curve: CURVE };
    expect(finalObjective({ ...trial, objective: 0.9 })).toBe(0.9);
    expect(finalObjective(trial)).toBe(0.6);
    expect(
      finalObjective({ ...trial, objective: Number.NaN, curve: [{ epoch: 1, value: Number.NaN }] }),
    ).toBeUndefined();
  });

  it("writes four significant digits", () => {
    expect(formatValue(0.123456)).toBe("0.1235");
    expect(formatValue(1234567)).toBe("1235000");
    expect(formatValue(Number.NaN)).toBe("NaN");
  });
});
