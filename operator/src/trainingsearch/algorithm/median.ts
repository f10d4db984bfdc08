// The median rule, as Optuna's MedianPruner (optuna/pruners/_percentile.py with percentile 50, n_warmup_steps =
// minEpochs, n_startup_trials = startupTrials): at the trial's latest epoch e ≥ minEpochs, with at least
// startupTrials Succeeded trials that have a value at e (or at the nearest earlier epoch their curve has, since a
// stride may skip e), stop when the trial's best value so far is worse than the median of theirs.

import { bestUpTo, formatValue, isBetter, lastPoint, valueAtOrBefore } from "./curve.js";
import type { Goal, TrialObservation } from "./types.js";

const MEDIAN_DEFAULTS = { minEpochs: 1, startupTrials: 5 } as const;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function medianStop(args: {
  minEpochs?: number;
  startupTrials?: number;
  goal: Goal;
  trial: TrialObservation;
  trials: TrialObservation[];
}): { reason: string; epoch: number } | undefined {
  const last = lastPoint(args.trial.curve);
  if (!last || last.epoch < (args.minEpochs ?? MEDIAN_DEFAULTS.minEpochs)) return undefined;
  const epoch = last.epoch;
  const best = bestUpTo(args.trial.curve, epoch, args.goal);
  // Optuna prunes a trial whose every value is NaN: it has diverged.
  if (best === undefined) return { reason: `median at epoch ${epoch}: the objective is not a number`, epoch };
  const theirs = args.trials
    .filter((t) => t.state === "Succeeded" && t.index !== args.trial.index)
    .map((t) => valueAtOrBefore(t.curve, epoch))
    .filter((v): v is number => v !== undefined);
  if (theirs.length === 0 || theirs.length < (args.startupTrials ?? MEDIAN_DEFAULTS.startupTrials)) return undefined;
  const middle = median(theirs);
  if (!isBetter(args.goal, middle, best)) return undefined;
  return {
    reason:
      `median at epoch ${epoch}: best so far ${formatValue(best)} is worse than the median ${formatValue(middle)} ` +
      `of ${theirs.length} succeeded trials at that epoch`,
    epoch,
  };
}
