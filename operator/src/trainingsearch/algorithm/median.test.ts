import { describe, expect, it } from "vitest";
import { shouldStop } from "./stop.js";
import type { Goal, TrialObservation } from "./types.js";

/** A trial whose curve is `values` at epochs 1, 2, …, or at the epochs given as [epoch, value] pairs. */
function trial(
  index: number,
  state: TrialObservation["state"],
  values: (number | [number, number])[],
): TrialObservation {
  const curve = values.map((v, i) => (Array.isArray(v) ? { epoch: v[0], value: v[1] } : { epoch: i + 1, value: v }));
  return { index, parameters: {}, state, curve };
}

/** Five succeeded trials (accuracy) whose values at epoch 3 are 0.5 … 0.9: the median there is 0.7. */
const SUCCEEDED = [0.5, 0.6, 0.7, 0.8, 0.9].map((v, i) => trial(i, "Succeeded", [v - 0.2, v - 0.1, v, v, v]));

function judge(
  running: TrialObservation,
  others: TrialObservation[],
  goal: Goal = "maximize",
  rule: { minEpochs?: number; startupTrials?: number } = {},
) {
  return shouldStop({ rule: { rule: "median", ...rule }, goal, trial: running, trials: [...others, running] });
}

describe("shouldStop (median rule)", () => {
  it("stops a trial whose best so far is below the median, naming the epoch and the median", () => {
    const stop = judge(trial(9, "Running", [0.3, 0.5, 0.6]), SUCCEEDED);
    expect(stop?.epoch).toBe(3);
    expect(stop?.reason).toBe(
      "median at epoch 3: best so far 0.6 is worse than the median 0.7 of 5 succeeded trials at that epoch",
    );
  });

  it.each([
    ["above the median", [0.3, 0.5, 0.75]],
    ["equal to the median", [0.3, 0.5, 0.7]],
    ["below it now but better before (its best so far counts)", [0.3, 0.8, 0.2]],
  ])("lets a trial go on when it is %s", (_, values) => {
    expect(judge(trial(9, "Running", values), SUCCEEDED)).toBeUndefined();
  });

  it("waits for startupTrials succeeded trials with a value at the epoch; running, failed and stopped ones do not count", () => {
    const running = trial(9, "Running", [0.3, 0.5, 0.6]);
    const four = SUCCEEDED.slice(0, 4);
    const notSucceeded = [
      trial(5, "Running", [0.9, 0.9, 0.9]),
      trial(6, "Failed", [0.9, 0.9, 0.9]),
      trial(7, "StoppedEarly", [0.9, 0.9, 0.9]),
    ];
    expect(judge(running, [...four, ...notSucceeded])).toBeUndefined();
    expect(judge(running, four, "maximize", { startupTrials: 4 })?.reason).toContain(
      "median 0.65 of 4 succeeded trials",
    );
    const lateStarters = SUCCEEDED.map((t) => ({ ...t, curve: t.curve.filter((p) => p.epoch > 3) }));
    expect(judge(running, lateStarters)).toBeUndefined();
  });

  it("waits out minEpochs (warm-up), then judges", () => {
    expect(judge(trial(9, "Running", [0.1, 0.1, 0.1]), SUCCEEDED, "maximize", { minEpochs: 4 })).toBeUndefined();
    expect(judge(trial(9, "Running", [0.1, 0.1, 0.1, 0.1]), SUCCEEDED, "maximize", { minEpochs: 4 })?.epoch).toBe(4);
  });

  it("reads a minimized objective the other way round", () => {
    // As losses the same numbers have median 0.7 at epoch 3; a trial at 0.75 is now the worse one.
    expect(judge(trial(9, "Running", [0.9, 0.8, 0.75]), SUCCEEDED, "minimize")?.reason).toContain("best so far 0.75");
    expect(judge(trial(9, "Running", [0.9, 0.8, 0.65]), SUCCEEDED, "minimize")).toBeUndefined();
    expect(judge(trial(9, "Running", [0.3, 0.5, 0.6]), SUCCEEDED, "minimize")).toBeUndefined();
  });

  it("compares with the nearest earlier epoch of a strided curve", () => {
    // The succeeded trials reported epochs 2 and 4 only: at epoch 3 their epoch-2 values count (median 0.4).
    const strided = [0.2, 0.3, 0.4, 0.5, 0.6].map((v, i) =>
      trial(i, "Succeeded", [
        [2, v],
        [4, v + 0.4],
      ]),
    );
    expect(judge(trial(9, "Running", [0.1, 0.2, 0.45]), strided)).toBeUndefined();
    expect(judge(trial(9, "Running", [0.1, 0.2, 0.35]), strided)?.reason).toContain("median 0.4");
  });

  it("stops a trial whose objective is not a number, and never judges a trial that is not running", () => {
    expect(judge(trial(9, "Running", [Number.NaN, Number.NaN]), SUCCEEDED)?.reason).toBe(
      "median at epoch 2: the objective is not a number",
    );
    expect(judge(trial(9, "Running", []), SUCCEEDED)).toBeUndefined();
    expect(judge(trial(9, "Succeeded", [0.1, 0.1, 0.1]), SUCCEEDED)).toBeUndefined();
  });
});
