import { describe, expect, it } from "vitest";
import { drawUniform, randomPoint } from "./random.js";
import { domainOf } from "./space.js";
import type { ParameterSpec } from "./types.js";

const SPACE: ParameterSpec[] = [
  { name: "learningRate", path: "hyperparameters.learningRate", float: { min: 1e-4, max: 1e-1, log: true } },
  { name: "batchSize", path: "hyperparameters.batchSize", int: { values: [16, 32, 64, 128] } },
  { name: "optimizer", path: "hyperparameters.optimizer", categorical: { values: ["adam", "sgd", "rmsprop"] } },
  { name: "units", path: "model.layers[0].units", int: { min: 16, max: 256, log: true } },
  { name: "dropout", path: "model.layers[1].rate", float: { min: 0, max: 0.5 } },
];

/** The values one parameter takes over trials 0..n-1. */
function draws(spec: ParameterSpec, n: number, seed = 0): (number | string)[] {
  return Array.from({ length: n }, (_, i) => randomPoint([spec], seed, i)[spec.name] as number | string);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

describe("randomPoint", () => {
  it("gives the same parameters for the same seed and index, others for another index or seed", () => {
    const point = randomPoint(SPACE, 42, 3);
    expect(randomPoint(SPACE, 42, 3)).toEqual(point);
    expect(randomPoint(SPACE, 42, 4)).not.toEqual(point);
    expect(randomPoint(SPACE, 43, 3)).not.toEqual(point);
    expect(Object.keys(point)).toEqual(SPACE.map((s) => s.name));
  });

  it("does not move one parameter's draw when another parameter is added or removed", () => {
    for (let i = 0; i < 20; i++) {
      const alone = randomPoint([SPACE[0] as ParameterSpec], 7, i);
      expect(randomPoint(SPACE, 7, i).learningRate).toBe(alone.learningRate);
    }
  });

  it("keeps every value inside its domain, ints whole", () => {
    for (let i = 0; i < 500; i++) {
      const p = randomPoint(SPACE, 1, i);
      expect(p.learningRate).toBeGreaterThanOrEqual(1e-4);
      expect(p.learningRate).toBeLessThanOrEqual(1e-1);
      expect([16, 32, 64, 128]).toContain(p.batchSize);
      expect(["adam", "sgd", "rmsprop"]).toContain(p.optimizer);
      expect(Number.isInteger(p.units)).toBe(true);
      expect(p.units).toBeGreaterThanOrEqual(16);
      expect(p.units).toBeLessThanOrEqual(256);
      expect(p.dropout).toBeGreaterThanOrEqual(0);
      expect(p.dropout).toBeLessThanOrEqual(0.5);
    }
  });

  it("spreads a log range log-uniformly: the median draw is near the geometric mean, far below the midpoint", () => {
    const lr = draws(SPACE[0] as ParameterSpec, 2001) as number[];
    expect(Math.log10(median(lr))).toBeCloseTo(-2.5, 1); // geometric mean of 1e-4 and 1e-1
    const linear = draws({ name: "x", path: "p", float: { min: 1e-4, max: 1e-1 } }, 2001) as number[];
    expect(median(linear)).toBeGreaterThan(0.04); // the midpoint is 0.05
    expect(median(linear)).toBeLessThan(0.06);
  });

  it("draws an int range uniformly with both ends included, and an int log range log-uniformly", () => {
    const dice = draws({ name: "d", path: "p", int: { min: 1, max: 4 } }, 4000) as number[];
    for (const face of [1, 2, 3, 4]) {
      const share = dice.filter((d) => d === face).length / dice.length;
      expect(share).toBeGreaterThan(0.22);
      expect(share).toBeLessThan(0.28);
    }
    const wide = draws({ name: "w", path: "p", int: { min: 1, max: 1000, log: true } }, 4000) as number[];
    // Log-uniform on [0.5, 1000.5]: half the mass lies below √(0.5 · 1000.5) ≈ 22.4.
    const below = wide.filter((w) => w <= 22).length / wide.length;
    expect(below).toBeGreaterThan(0.45);
    expect(below).toBeLessThan(0.55);
  });

  it("picks a step's points and a list's values, every one of them", () => {
    const stepped = draws({ name: "s", path: "p", float: { min: 0, max: 0.3, step: 0.1 } }, 400);
    expect(new Set(stepped)).toEqual(new Set([0, 0.1, 0.2, 0.3]));
    const listed = draws(SPACE[1] as ParameterSpec, 400);
    expect(new Set(listed)).toEqual(new Set([16, 32, 64, 128]));
  });
});

describe("drawUniform", () => {
  it.each([
    [{ float: { min: 2, max: 4 } }, 0, 2],
    [{ float: { min: 2, max: 4 } }, 0.5, 3],
    [{ float: { min: 1, max: 100, log: true } }, 0.5, 10],
    [{ int: { min: 1, max: 4 } }, 0.999, 4],
    [{ int: { min: 1, max: 4 } }, 0.25, 2],
    [{ categorical: { values: ["a", "b"] } }, 0.7, "b"],
  ] as const)("maps %j at u = %d to %s", (range, u, expected) => {
    const value = drawUniform(domainOf({ name: "x", path: "p", ...range } as ParameterSpec), u);
    if (typeof expected === "number") expect(value).toBeCloseTo(expected, 10);
    else expect(value).toBe(expected);
  });
});
