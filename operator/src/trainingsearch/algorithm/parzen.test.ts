import { describe, expect, it } from "vitest";
import {
  categoricalEstimator,
  logDensityNumeric,
  mixtureWeights,
  numericEstimator,
  sampleCategorical,
  sampleNumeric,
} from "./parzen.js";
import { streamFor } from "./rng.js";

describe("numericEstimator", () => {
  it("sets each sigma to the larger neighbour gap, the outer ones to the inner gap, clipped (Optuna's rule)", () => {
    // Kernels at 10, 20, 70 and the prior at 50, on [0, 100]: gaps give 10 | 30 | 30 | 20 after the end rule
    // (consider_endpoints false), then the magic clip lifts them to at least 100 / (1 + 4) = 20.
    const est = numericEstimator([10, 20, 70], 0, 100);
    expect(est.mus).toEqual([10, 20, 70, 50]);
    expect(est.sigmas).toEqual([20, 30, 20, 100]);
    expect(est.weights).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it("gives one observation the clip floor, the prior the whole range, and widens a discrete range by a step", () => {
    expect(numericEstimator([30], 0, 100).sigmas).toEqual([100 / 3, 100]);
    const discrete = numericEstimator([2], 1, 9, 1); // edges 0.5 and 9.5: width 9
    expect(discrete.sigmas).toEqual([3, 9]);
  });

  it("has a density that integrates to 1 over the range (continuous) and bin masses that sum to 1 (discrete)", () => {
    const est = numericEstimator([0.1, 0.15, 0.8], 0, 1);
    let integral = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) integral += Math.exp(logDensityNumeric(est, (i + 0.5) / n)) / n;
    expect(integral).toBeCloseTo(1, 3);
    const discrete = numericEstimator([2, 3, 8], 1, 10, 1);
    let total = 0;
    for (let x = 1; x <= 10; x++) total += Math.exp(logDensityNumeric(discrete, x));
    expect(total).toBeCloseTo(1, 6);
  });

  it("draws inside the range, on the step's points when discrete, mostly near the observations", () => {
    const random = streamFor(0, 0, "parzen");
    const est = numericEstimator([0.1, 0.12, 0.14, 0.11, 0.13, 0.1, 0.12, 0.14, 0.11], 0, 1);
    const draws = Array.from({ length: 1000 }, () => sampleNumeric(est, random));
    expect(draws.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(draws.filter((x) => x < 0.3).length / draws.length).toBeGreaterThan(0.6);
    const discrete = numericEstimator([4, 5], 0, 10, 2);
    const points = Array.from({ length: 500 }, () => sampleNumeric(discrete, random));
    expect(new Set(points).size).toBeGreaterThan(3);
    for (const p of points) expect([0, 2, 4, 6, 8, 10]).toContain(p);
  });
});

describe("mixtureWeights", () => {
  it("weighs up to 24 observations and the prior alike, then fades the oldest beyond 25", () => {
    expect(mixtureWeights(3)).toEqual([0.25, 0.25, 0.25, 0.25]);
    const w = mixtureWeights(30);
    expect(w).toHaveLength(31);
    expect(w.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(w[0]).toBeLessThan(w[1] as number);
    expect(w[1]).toBeLessThan(w[4] as number);
    expect(new Set(w.slice(4).map((x) => x.toFixed(12))).size).toBe(1); // the ramp ends at 1, the last 25 and the prior
  });
});

describe("categoricalEstimator", () => {
  it("smooths the observed counts with the prior (Optuna's categorical kernels)", () => {
    // Observations [0, 0, 1] of 3 choices: each kernel puts 1/4 on every choice and 1 more on its own (then /1.75),
    // the prior kernel 1/3 on each; every kernel weighs 1/4.
    const p = categoricalEstimator([0, 0, 1], 3);
    expect(p[0]).toBeCloseTo(0.25 * (2.75 / 1.75) + 0.25 / 3, 12);
    expect(p[1]).toBeCloseTo(0.25 + 0.25 / 3, 12);
    expect(p[2]).toBeCloseTo(0.25 * (0.75 / 1.75) + 0.25 / 3, 12);
    expect(p.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    expect(categoricalEstimator([], 4)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it("draws choices in proportion", () => {
    const random = streamFor(0, 0, "categorical");
    const draws = Array.from({ length: 4000 }, () => sampleCategorical([0.7, 0.2, 0.1], random));
    expect(draws.filter((c) => c === 0).length / 4000).toBeCloseTo(0.7, 1);
    expect(draws.filter((c) => c === 2).length / 4000).toBeCloseTo(0.1, 1);
  });
});
