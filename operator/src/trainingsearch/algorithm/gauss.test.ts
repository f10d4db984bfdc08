import { describe, expect, it } from "vitest";
import { logGaussMass, truncatedNormal } from "./gauss.js";
import { streamFor } from "./rng.js";

describe("logGaussMass", () => {
  it.each([
    ["the whole line", Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 1],
    ["half of it", 0, Number.POSITIVE_INFINITY, 0.5],
    ["the lower half", Number.NEGATIVE_INFINITY, 0, 0.5],
    ["±1.96", -1.96, 1.96, 0.9500042],
    ["one standard deviation above the mean", 0, 1, 0.3413447],
    ["a bin below the mean", -2, -1.5, 0.0440571],
    ["the far tail beyond 10 (asymptotic series)", 10, Number.POSITIVE_INFINITY, 7.619853e-24],
    ["the far tail below -10", Number.NEGATIVE_INFINITY, -10, 7.619853e-24],
  ])("gives the mass of %s", (_, a, b, mass) => {
    expect(Math.exp(logGaussMass(a, b)) / mass).toBeCloseTo(1, 3);
  });

  it("stays finite and ordered for a narrow bin far in the tail", () => {
    const bin = logGaussMass(12, 12.5);
    expect(Number.isFinite(bin)).toBe(true);
    expect(bin).toBeLessThan(logGaussMass(12, Number.POSITIVE_INFINITY));
    expect(bin).toBeGreaterThan(logGaussMass(12.5, Number.POSITIVE_INFINITY) - 1);
  });
});

describe("truncatedNormal", () => {
  it("stays inside the bounds and keeps the shape inside them", () => {
    const random = streamFor(0, 0, "truncated");
    const draws = Array.from({ length: 4000 }, () => truncatedNormal(random, 0, 1, -0.5, 3));
    expect(draws.every((x) => x >= -0.5 && x <= 3)).toBe(true);
    // P(-0.5 < Z < 0.5) / P(-0.5 < Z < 3) = 0.3829 / 0.6902 = 0.555
    const central = draws.filter((x) => x < 0.5).length / draws.length;
    expect(central).toBeGreaterThan(0.52);
    expect(central).toBeLessThan(0.59);
  });
});
