import { describe, expect, it } from "vitest";
import { gridPoint, gridSize } from "./grid.js";
import type { ParameterSpec } from "./types.js";

const a: ParameterSpec = { name: "a", path: "hyperparameters.batchSize", int: { values: [16, 32] } };
const b: ParameterSpec = {
  name: "b",
  path: "hyperparameters.optimizer",
  categorical: { values: ["adam", "sgd", "rmsprop"] },
};
const rate: ParameterSpec = { name: "rate", path: "model.layers[1].rate", float: { min: 0, max: 0.3, step: 0.1 } };
const continuous: ParameterSpec = {
  name: "lr",
  path: "hyperparameters.learningRate",
  float: { min: 1e-4, max: 1e-1, log: true },
};

describe("gridSize", () => {
  it.each([
    ["a list and a category", [a, b], 6],
    [
      "an int range without step: every integer",
      [{ name: "e", path: "hyperparameters.epochs", int: { min: 3, max: 7 } }],
      5,
    ],
    ["an int range with step", [{ name: "u", path: "model.layers[0].units", int: { min: 16, max: 64, step: 16 } }], 4],
    ["a float step that does not divide evenly in binary (0.3 / 0.1)", [rate], 4],
    ["a continuous range: Infinity", [a, continuous], Number.POSITIVE_INFINITY],
  ] as const)("counts %s", (_, parameters, size) => {
    expect(gridSize([...parameters] as ParameterSpec[])).toBe(size);
  });
});

describe("gridPoint", () => {
  it("enumerates the product in parameter order, the last parameter fastest, and ends there", () => {
    const points = Array.from({ length: 7 }, (_, i) => gridPoint([a, b], i));
    expect(points).toEqual([
      { a: 16, b: "adam" },
      { a: 16, b: "sgd" },
      { a: 16, b: "rmsprop" },
      { a: 32, b: "adam" },
      { a: 32, b: "sgd" },
      { a: 32, b: "rmsprop" },
      undefined,
    ]);
    expect(gridPoint([a, b], -1)).toBeUndefined();
  });

  it("gives a step's points without binary noise and every point of a 3-way product once", () => {
    expect(Array.from({ length: 4 }, (_, i) => gridPoint([rate], i)?.rate)).toEqual([0, 0.1, 0.2, 0.3]);
    const size = gridSize([a, b, rate]);
    const seen = new Set(Array.from({ length: size }, (_, i) => JSON.stringify(gridPoint([a, b, rate], i))));
    expect(seen.size).toBe(24);
    expect(gridPoint([a, b, rate], 23)).toEqual({ a: 32, b: "rmsprop", rate: 0.3 });
  });

  it("has no points when a range is continuous", () => {
    expect(gridPoint([continuous], 0)).toBeUndefined();
  });
});
