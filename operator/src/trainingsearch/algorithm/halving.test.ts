import { describe, expect, it } from "vitest";
import { rungEpoch } from "./halving.js";
import { shouldStop } from "./stop.js";
import type { Goal, TrialObservation } from "./types.js";

/** A trial with `value` at every epoch 1..epochs (or the [epoch, value] points given). */
function trial(
  index: number,
  value: number | [number, number][],
  epochs = 1,
  state: TrialObservation["state"] = "Succeeded",
): TrialObservation {
  const curve = Array.isArray(value)
    ? value.map(([epoch, v]) => ({ epoch, value: v }))
    : Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, value }));
  return { index, parameters: {}, state, curve };
}

function judge(
  running: TrialObservation,
  others: TrialObservation[],
  goal: Goal = "maximize",
  rule: { minEpochs?: number; reductionFactor?: number } = {},
) {
  return shouldStop({
    rule: { rule: "successiveHalving", ...rule },
    goal,
    trial: { ...running, state: "Running" },
    trials: [...others, running],
  });
}

describe("rungEpoch", () => {
  it.each([
    [1, 3, [1, 3, 9, 27]],
    [2, 3, [2, 6, 18, 54]],
    [1, 2, [1, 2, 4, 8]],
  ])("puts the rungs of minEpochs %d, η %d at %j", (minEpochs, eta, epochs) => {
    expect([0, 1, 2, 3].map((k) => rungEpoch(minEpochs, eta, k))).toEqual(epochs);
  });
});

describe("shouldStop (successive halving)", () => {
  // Five others at rung 0 (epoch 2 with minEpochs 2): with the trial, 6 compete and the top ⌊6/3⌋ = 2 go on.
  const others = [0.9, 0.7, 0.6, 0.5, 0.4].map((v, i) => trial(i, v, 2));

  it("promotes the top ⌊n/η⌋ at a rung and stops the rest, naming the rung and the cut", () => {
    expect(judge(trial(9, 0.8, 2), others, "maximize", { minEpochs: 2 })).toBeUndefined();
    expect(judge(trial(9, 0.7, 2), others, "maximize", { minEpochs: 2 })).toBeUndefined(); // a tie with the cut goes on
    const stop = judge(trial(9, 0.65, 2), others, "maximize", { minEpochs: 2 });
    expect(stop).toEqual({
      epoch: 2,
      reason:
        "successiveHalving at epoch 2: 0.65 is not in the top 2 of 6 trials at rung 0 (epoch 2), which need 0.7 or better",
    });
  });

  it("rounds n/η down: of 8 at a rung 2 go on, the third best stops", () => {
    const seven = [...others, trial(5, 0.3, 2), trial(6, 0.2, 2)];
    expect(judge(trial(9, 0.8, 2), seven, "maximize", { minEpochs: 2 })).toBeUndefined();
    expect(judge(trial(9, 0.65, 2), seven, "maximize", { minEpochs: 2 })?.reason).toContain("top 2 of 8");
  });

  it("lets a trial run until it reaches the first rung", () => {
    expect(judge(trial(9, 0.1, 1), others, "maximize", { minEpochs: 2 })).toBeUndefined();
  });

  it("promotes at least the best: with fewer than η trials only the best goes on", () => {
    expect(judge(trial(9, 0.5, 1), [trial(0, 0.6, 1)])?.reason).toContain("top 1 of 2");
    expect(judge(trial(9, 0.7, 1), [trial(0, 0.6, 1)])).toBeUndefined();
    expect(judge(trial(9, 0.1, 1), [])).toBeUndefined();
  });

  it("judges the next rung only once the trial reaches its epoch", () => {
    // Rungs at 2 and 6. The trial won rung 0; at rung 1 three others (one still running) did better.
    const ahead = [0.9, 0.85, 0.8].map((v, i) => trial(i, v, 6, i === 2 ? "Running" : "Succeeded"));
    const behind = [0.3, 0.2, 0.1].map((v, i) => trial(3 + i, v, 2, "StoppedEarly"));
    const before = trial(9, [
      [1, 0.95],
      [2, 0.95],
      [5, 0.5],
    ]);
    expect(judge(before, [...ahead, ...behind], "maximize", { minEpochs: 2 })).toBeUndefined();
    const at = trial(9, [
      [1, 0.95],
      [2, 0.95],
      [5, 0.5],
      [6, 0.5],
    ]);
    expect(judge(at, [...ahead, ...behind], "maximize", { minEpochs: 2 })?.reason).toContain(
      "top 1 of 4 trials at rung 1 (epoch 6)",
    );
  });

  it("reads a minimized objective the other way round", () => {
    const losses = [0.1, 0.3, 0.4, 0.5, 0.6].map((v, i) => trial(i, v, 1));
    // Six compete, two go on: the two lowest when minimizing, the two highest when maximizing.
    expect(judge(trial(9, 0.2, 1), losses, "minimize")).toBeUndefined();
    expect(judge(trial(9, 0.2, 1), losses, "maximize")?.reason).toContain("need 0.5 or better");
    expect(judge(trial(9, 0.55, 1), losses, "minimize")?.reason).toContain("need 0.3 or better");
    expect(judge(trial(9, 0.55, 1), losses, "maximize")).toBeUndefined();
  });

  it("measures a strided curve at the first epoch it reported past the rung", () => {
    // Rung 1 at epoch 3 (η 3): the trial reported epochs 1 and 4, so its epoch-4 value competes there.
    const rivals = [trial(0, 0.9, 3), trial(1, 0.8, 3), trial(2, 0.7, 3)];
    const stop = judge(
      trial(9, [
        [1, 0.95],
        [4, 0.6],
      ]),
      rivals,
    );
    expect(stop?.epoch).toBe(4);
    expect(stop?.reason).toContain("0.6 is not in the top 1 of 4 trials at rung 1 (epoch 3)");
    expect(
      judge(
        trial(9, [
          [1, 0.95],
          [4, 0.95],
        ]),
        rivals,
      ),
    ).toBeUndefined();
  });

  it("stops a trial whose rung value is not a number", () => {
    expect(judge(trial(9, Number.NaN, 1), [])?.reason).toBe(
      "successiveHalving at epoch 1: the objective is not a number",
    );
  });
});
