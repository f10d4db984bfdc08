import { describe, expect, it } from "vitest";
import { randomPoint } from "./random.js";
import { gamma, rankFinished, tpePoint } from "./tpe.js";
import type { Goal, ParameterSpec, ParameterValue, TrialObservation } from "./types.js";

type Point = Record<string, ParameterValue>;
const SEEDS = Array.from({ length: 10 }, (_, s) => s);

function finished(index: number, parameters: Point, value: number): TrialObservation {
  return { index, parameters, state: "Succeeded", curve: [{ epoch: 1, value }], objective: value };
}

/** A sequential search of n trials (parallelism 1): each trial sees all earlier ones finished. */
function search(
  algorithm: "tpe" | "random",
  seed: number,
  n: number,
  space: ParameterSpec[],
  f: (p: Point) => number,
  goal: Goal = "minimize",
) {
  const trials: TrialObservation[] = [];
  for (let index = 0; index < n; index++) {
    const p =
      algorithm === "tpe"
        ? tpePoint({ parameters: space, goal, seed, index, trials })
        : randomPoint(space, seed, index);
    trials.push(finished(index, p, f(p)));
  }
  return trials;
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

const X: ParameterSpec[] = [{ name: "x", path: "model.layers[0].rate", float: { min: -10, max: 10 } }];
const bowl = (p: Point) => ((p.x as number) - 3) ** 2;
/** Mean distance to the optimum x = 3 of the trials after the 10 random ones, averaged over the seeds. */
function spreadAfterStartup(algorithm: "tpe" | "random", f: (p: Point) => number, goal: Goal = "minimize"): number {
  return mean(
    SEEDS.map((seed) =>
      mean(
        search(algorithm, seed, 40, X, f, goal)
          .slice(10)
          .map((t) => Math.abs((t.parameters.x as number) - 3)),
      ),
    ),
  );
}

describe("gamma", () => {
  it.each([
    [1, 1],
    [10, 1],
    [11, 2],
    [100, 10],
    [251, 25],
    [1000, 25],
  ])("takes the top ⌈0.1·%d⌉ (at most 25) as good: %d", (n, good) => {
    expect(gamma(n)).toBe(good);
  });
});

describe("rankFinished", () => {
  const trials: TrialObservation[] = [
    finished(0, {}, 0.5),
    finished(1, {}, 0.2),
    { index: 2, parameters: {}, state: "StoppedEarly", curve: [{ epoch: 1, value: 0.1 }] },
    {
      index: 3,
      parameters: {},
      state: "StoppedEarly",
      curve: [
        { epoch: 1, value: 0.9 },
        { epoch: 3, value: 0.9 },
      ],
    },
    { index: 4, parameters: {}, state: "Failed", curve: [{ epoch: 1, value: 0.0 }] },
    { index: 5, parameters: {}, state: "Running", curve: [{ epoch: 1, value: 0.0 }] },
    { index: 6, parameters: {}, state: "StoppedEarly", curve: [] },
    { index: 7, parameters: {}, state: "StoppedEarly", curve: [{ epoch: 1, value: 0.3 }] },
  ];
  it("puts succeeded trials first by objective, then stopped ones by furthest epoch and value; skips the rest", () => {
    expect(rankFinished(trials, "minimize").map((t) => t.index)).toEqual([1, 0, 3, 2, 7, 6]);
    expect(rankFinished(trials, "maximize").map((t) => t.index)).toEqual([0, 1, 3, 7, 2, 6]);
  });
});

describe("tpePoint", () => {
  it("draws as random search with the same seed for the first startupTrials, and while too few have finished", () => {
    for (let index = 0; index < 10; index++) {
      expect(tpePoint({ parameters: X, goal: "minimize", seed: 5, index, trials: [] })).toEqual(
        randomPoint(X, 5, index),
      );
    }
    const three = search("tpe", 5, 3, X, bowl);
    expect(tpePoint({ parameters: X, goal: "minimize", seed: 5, index: 12, trials: three, startupTrials: 4 })).toEqual(
      randomPoint(X, 5, 12),
    );
    expect(
      tpePoint({ parameters: X, goal: "minimize", seed: 5, index: 12, trials: three, startupTrials: 3 }),
    ).not.toEqual(randomPoint(X, 5, 12));
  });

  it("is deterministic: the same trials and index give the same parameters, another index others", () => {
    const trials = search("random", 1, 15, X, bowl);
    const args = { parameters: X, goal: "minimize" as const, seed: 1, trials };
    const p = tpePoint({ ...args, index: 15 });
    expect(tpePoint({ ...args, index: 15 })).toEqual(p);
    expect(tpePoint({ ...args, index: 16 })).not.toEqual(p);
  });

  it("counts stopped-early trials as finished", () => {
    const stopped = search("random", 2, 10, X, bowl).map((t): TrialObservation => ({ ...t, state: "StoppedEarly" }));
    expect(tpePoint({ parameters: X, goal: "minimize", seed: 2, index: 10, trials: stopped })).not.toEqual(
      randomPoint(X, 2, 10),
    );
  });

  it("concentrates near the optimum of a 1-D bowl: closer and better than random search over 10 seeds", () => {
    const tpe = spreadAfterStartup("tpe", bowl);
    const random = spreadAfterStartup("random", bowl);
    expect(tpe).toBeLessThan(0.6 * random);
    const best = (algorithm: "tpe" | "random") =>
      mean(SEEDS.map((seed) => Math.min(...search(algorithm, seed, 40, X, bowl).map((t) => t.objective as number))));
    expect(best("tpe")).toBeLessThan(best("random") / 4);
  });

  it("follows the goal: maximizing -f picks exactly what minimizing f picks; minimizing -f flees the optimum", () => {
    const seed = 3;
    const byMin = search("tpe", seed, 30, X, bowl, "minimize").map((t) => t.parameters);
    const byMax = search("tpe", seed, 30, X, (p) => -bowl(p), "maximize").map((t) => t.parameters);
    expect(byMax).toEqual(byMin);
    expect(spreadAfterStartup("tpe", (p) => -bowl(p), "minimize")).toBeGreaterThan(spreadAfterStartup("random", bowl));
  });

  it("learns a log range, a log int and a category together (2-D plus a choice), inside their bounds", () => {
    const space: ParameterSpec[] = [
      { name: "lr", path: "hyperparameters.learningRate", float: { min: 1e-5, max: 1, log: true } },
      { name: "units", path: "model.layers[0].units", int: { min: 16, max: 256, log: true } },
      { name: "optimizer", path: "hyperparameters.optimizer", categorical: { values: ["sgd", "adam", "rmsprop"] } },
    ];
    // Best at lr = 0.01, units = 64, adam. The choice weighs as much as the ranges: a weak one (+1) lets a seed whose
    // first good trials were not adam lock onto another optimizer, as univariate TPE does.
    const f = (p: Point) =>
      (Math.log10(p.lr as number) + 2) ** 2 +
      (Math.log2(p.units as number) - 6) ** 2 +
      (p.optimizer === "adam" ? 0 : 3);
    const late = (algorithm: "tpe" | "random") =>
      SEEDS.flatMap((seed) => search(algorithm, seed, 40, space, f).slice(10));
    const tpe = late("tpe");
    const random = late("random");
    const adamShare = (ts: TrialObservation[]) =>
      ts.filter((t) => t.parameters.optimizer === "adam").length / ts.length;
    expect(adamShare(tpe)).toBeGreaterThan(0.6);
    expect(adamShare(random)).toBeLessThan(0.4);
    const lrDistance = (ts: TrialObservation[]) =>
      mean(ts.map((t) => Math.abs(Math.log10(t.parameters.lr as number) + 2)));
    expect(lrDistance(tpe)).toBeLessThan(0.75 * lrDistance(random));
    for (const t of tpe) {
      expect(t.parameters.lr).toBeGreaterThanOrEqual(1e-5);
      expect(t.parameters.lr).toBeLessThanOrEqual(1);
      expect(Number.isInteger(t.parameters.units)).toBe(true);
      expect(t.parameters.units).toBeGreaterThanOrEqual(16);
      expect(t.parameters.units).toBeLessThanOrEqual(256);
    }
  });

  it("ignores observed values outside the current space (a trial from before the spec changed)", () => {
    const trials = search("random", 4, 12, X, bowl).map((t, i) => (i % 2 ? { ...t, parameters: { x: 99 } } : t));
    const p = tpePoint({ parameters: X, goal: "minimize", seed: 4, index: 12, trials });
    expect(p.x).toBeGreaterThanOrEqual(-10);
    expect(p.x).toBeLessThanOrEqual(10);
  });
});

describe("tpePoint on discrete ranges", () => {
  it("suggests only the step's points, up to the last one the step reaches", () => {
    const space: ParameterSpec[] = [
      { name: "rate", path: "model.layers[1].rate", float: { min: 0, max: 0.35, step: 0.1 } },
      { name: "units", path: "model.layers[0].units", int: { min: 8, max: 40, step: 8 } },
    ];
    // Best at the top end, so TPE pushes towards max (0.35 is off the grid: 0.3 is the last point).
    const trials = search("tpe", 0, 40, space, (p) => -(p.rate as number) - (p.units as number) / 100);
    for (const t of trials) {
      expect([0, 0.1, 0.2, 0.3]).toContain(t.parameters.rate);
      expect([8, 16, 24, 32, 40]).toContain(t.parameters.units);
    }
    expect(trials.slice(10).filter((t) => t.parameters.rate === 0.3).length).toBeGreaterThan(10);
  });
});
