// Early stopping: which rule judges a running trial. Trials that are not running are never stopped again.

import { halvingStop } from "./halving.js";
import { medianStop } from "./median.js";
import type { Goal, TrialObservation } from "./types.js";

/** Whether a running trial should stop now, and why (a sentence for the annotation and the Event), else undefined. */
export function shouldStop(args: {
  rule: { rule: "median" | "successiveHalving"; minEpochs?: number; startupTrials?: number; reductionFactor?: number };
  goal: Goal;
  trial: TrialObservation;
  trials: TrialObservation[];
}): { reason: string; epoch: number } | undefined {
  if (args.trial.state !== "Running") return undefined;
  const { rule, ...options } = args.rule;
  const judged = { ...options, goal: args.goal, trial: args.trial, trials: args.trials };
  return rule === "median" ? medianStop(judged) : halvingStop(judged);
}
