import { describe, expect, it } from "vitest";
import { gridPoint } from "./grid.js";
import { randomPoint } from "./random.js";
import { suggest } from "./suggest.js";
import type { ParameterSpec } from "./types.js";

const SPACE: ParameterSpec[] = [
  { name: "batchSize", path: "hyperparameters.batchSize", int: { values: [16, 32] } },
  { name: "optimizer", path: "hyperparameters.optimizer", categorical: { values: ["adam", "sgd"] } },
];

describe("suggest", () => {
  it("walks the grid in order and ends past it", () => {
    const at = (index: number) =>
      suggest({ algorithm: { name: "grid", seed: 0 }, parameters: SPACE, goal: "maximize", index, trials: [] });
    expect([0, 1, 2, 3].map(at)).toEqual([0, 1, 2, 3].map((i) => gridPoint(SPACE, i)));
    expect(at(1)).toEqual({ batchSize: 16, optimizer: "sgd" });
    expect(at(4)).toBeUndefined();
  });

  it("draws random parameters from the seed and the index alone, whatever the trials", () => {
    const args = {
      algorithm: { name: "random" as const, seed: 9 },
      parameters: SPACE,
      goal: "maximize" as const,
      trials: [],
    };
    expect(suggest({ ...args, index: 2 })).toEqual(randomPoint(SPACE, 9, 2));
    const seen = {
      index: 0,
      parameters: { batchSize: 16, optimizer: "adam" },
      state: "Succeeded" as const,
      curve: [],
      objective: 1,
    };
    expect(suggest({ ...args, index: 2, trials: [seen] })).toEqual(randomPoint(SPACE, 9, 2));
  });

  it("starts TPE with random search's draws and passes its options on", () => {
    const args = { parameters: SPACE, goal: "maximize" as const, index: 1, trials: [] };
    expect(suggest({ ...args, algorithm: { name: "tpe", seed: 4 } })).toEqual(randomPoint(SPACE, 4, 1));
    const trials = [0, 1, 2].map((index) => ({
      index,
      parameters: randomPoint(SPACE, 4, index),
      state: "Succeeded" as const,
      curve: [],
      objective: index,
    }));
    const tpe = (startupTrials: number) =>
      suggest({ ...args, index: 3, trials, algorithm: { name: "tpe", seed: 4, tpe: { startupTrials } } });
    expect(tpe(4)).toEqual(randomPoint(SPACE, 4, 3));
    expect(tpe(3)).not.toEqual(randomPoint(SPACE, 4, 3));
  });
});
