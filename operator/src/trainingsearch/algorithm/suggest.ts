// Which parameters trial `index` gets, by algorithm. A pure function of its inputs, so a reconciler that lost its
// memory (a restart) and asks again for the same index gets the same answer.

import { gridPoint } from "./grid.js";
import { randomPoint } from "./random.js";
import { tpePoint } from "./tpe.js";
import type { Goal, ParameterSpec, ParameterValue, TrialObservation } from "./types.js";

/** The parameters of trial `index` (random: seeded draw; grid: the index-th point, undefined past the grid; tpe:
 *  random for the first startupTrials, then TPE over the finished trials given). Same inputs → same output. */
export function suggest(args: {
  algorithm: { name: "random" | "grid" | "tpe"; seed: number; tpe?: { startupTrials?: number; candidates?: number } };
  parameters: ParameterSpec[];
  goal: Goal;
  index: number;
  trials: TrialObservation[];
}): Record<string, ParameterValue> | undefined {
  const { algorithm, parameters, index } = args;
  switch (algorithm.name) {
    case "grid":
      return gridPoint(parameters, index);
    case "random":
      return randomPoint(parameters, algorithm.seed, index);
    case "tpe":
      return tpePoint({
        parameters,
        goal: args.goal,
        seed: algorithm.seed,
        index,
        trials: args.trials,
        ...algorithm.tpe,
      });
  }
}
