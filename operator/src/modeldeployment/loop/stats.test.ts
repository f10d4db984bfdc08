// The judge's statistics against tabled values: erfc and the normal CDF to the approximation's stated accuracy
// (fractional error < 1.2e-7), far into the tails, and the z scores on hand-computed cases.
import { describe, expect, it } from "vitest";
import { erfc } from "../../util/erfc.js";
import { marginZ, normalCdf, twoProportionZ, upperTail, welchZ } from "./stats.js";

/** |got / want − 1|: the approximation's error is relative, so the tails are held to it too. */
const rel = (got: number, want: number) => Math.abs(got / want - 1);

describe("erfc and the normal distribution", () => {
  it.each([
    [0.5, 0.4795001221869535],
    [2, 0.004677734981047265],
    [-1, 1.842700792949715],
    [0, 1],
  ])("erfc(%d) = %d", (x, want) => {
    expect(rel(erfc(x), want)).toBeLessThan(2e-7);
  });

  it.each([
    [0, 0.5],
    [1, 0.8413447460685429],
    [1.959963984540054, 0.975],
    [-1.6448536269514722, 0.05],
    [3, 0.9986501019683699],
    [-3, 0.0013498980316300957],
    [-6, 9.865876450377012e-10],
  ])("Φ(%d) = %d", (z, want) => {
    expect(rel(normalCdf(z), want)).toBeLessThan(2e-7);
  });

  it("the upper tail is the lower tail mirrored, without cancellation far out", () => {
    expect(rel(upperTail(6), 9.865876450377012e-10)).toBeLessThan(2e-7);
    expect(rel(upperTail(-1.959963984540054), 0.975)).toBeLessThan(2e-7);
    expect(upperTail(Number.POSITIVE_INFINITY)).toBe(0);
    expect(normalCdf(Number.NEGATIVE_INFINITY)).toBe(0);
  });
});

describe("z scores", () => {
  it("two proportions, pooled: 90/100 against 70/100 is z ≈ 3.54; swapped, its negative", () => {
    // p = 0.8, se = sqrt(0.8 · 0.2 · (1/100 + 1/100)) = 0.0566; (0.9 − 0.7) / se = 3.536
    expect(twoProportionZ(90, 100, 70, 100)).toBeCloseTo(3.5355, 3);
    expect(twoProportionZ(70, 100, 90, 100)).toBeCloseTo(-3.5355, 3);
  });

  it("no spread at all: no difference is z = 0, not NaN", () => {
    expect(twoProportionZ(0, 100, 0, 200)).toBe(0);
    expect(twoProportionZ(100, 100, 200, 200)).toBe(0);
  });

  it("with a margin (Agresti-Caffo): equal shares score margin / se, and 50/50 right on both sides is not certain", () => {
    // p̃ = 91/102 on both sides; se = sqrt(2 · p̃(1 − p̃) / 102) = 0.04339; z = 0.02 / se
    expect(marginZ(90, 100, 90, 100, 0.02)).toBeCloseTo(0.4609, 3);
    const perfect = marginZ(50, 50, 50, 50, 0.02);
    expect(Number.isFinite(perfect)).toBe(true);
    expect(upperTail(perfect)).toBeGreaterThan(0.05);
  });

  it("Welch on means: variance from the mean square, shifted by a margin", () => {
    // var = 1.5625 − 1 = 0.5625 and 0.81 − 0.49 = 0.32; se = sqrt((0.5625 + 0.32) / 200) = 0.06642
    const stable = { mean: 1, meanSquare: 1.5625, n: 200 };
    const canary = { mean: 0.7, meanSquare: 0.81, n: 200 };
    expect(welchZ(stable, canary)).toBeCloseTo(4.5166, 3);
    expect(welchZ(canary, stable, 0.02)).toBeCloseTo(-4.8177, 3);
    // Every error the same size: no spread; a difference is then certain.
    expect(welchZ({ mean: 2, meanSquare: 4, n: 60 }, { mean: 1, meanSquare: 1, n: 60 })).toBe(Number.POSITIVE_INFINITY);
  });
});
