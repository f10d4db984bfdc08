// TPE, as Optuna's TPESampler with its defaults (optuna/samplers/_tpe/sampler.py; Bergstra et al. 2011): random
// until startupTrials trials have finished; then rank the finished trials (Succeeded by objective, then StoppedEarly
// ones after them, furthest epoch first, then by their last value: Optuna's _split_trials and pruned-trial score),
// call the top gamma(n) = min(⌈0.1 n⌉, 25) good and the rest bad, and, per parameter (univariate), draw
// `candidates` values from the good trials' Parzen estimator l and keep the one with the largest l(x) / g(x).

import { finalObjective, lastPoint } from "./curve.js";
import {
  categoricalEstimator,
  logDensityNumeric,
  type NumericEstimator,
  numericEstimator,
  sampleCategorical,
  sampleNumeric,
} from "./parzen.js";
import { randomPoint } from "./random.js";
import { type Random, streamFor } from "./rng.js";
import { type Domain, domainOf, pointCount, tidy } from "./space.js";
import type { Goal, ParameterSpec, ParameterValue, TrialObservation } from "./types.js";

const TPE_DEFAULTS = { startupTrials: 10, candidates: 24 } as const;

export function gamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Finished trials best first, as Optuna orders them for the split. */
export function rankFinished(trials: TrialObservation[], goal: Goal): TrialObservation[] {
  const sign = goal === "minimize" ? 1 : -1;
  const succeeded = trials
    .map((t) => ({ t, value: t.state === "Succeeded" ? finalObjective(t) : undefined }))
    .filter((s): s is { t: TrialObservation; value: number } => s.value !== undefined)
    .sort((a, b) => sign * (a.value - b.value) || a.t.index - b.t.index);
  // A stopped trial's score: (-last epoch, its value there); one with no curve scores (1, 0), after all others.
  const score = (t: TrialObservation): [number, number] => {
    const last = lastPoint(t.curve);
    if (!last) return [1, 0];
    return [-last.epoch, Number.isFinite(last.value) ? sign * last.value : Number.POSITIVE_INFINITY];
  };
  const stopped = trials
    .filter((t) => t.state === "StoppedEarly")
    .map((t) => ({ t, score: score(t) }))
    .sort((a, b) => a.score[0] - b.score[0] || a.score[1] - b.score[1] || a.t.index - b.t.index);
  return [...succeeded.map((s) => s.t), ...stopped.map((s) => s.t)];
}

/**
 * A numeric range in TPE's internal scale: log when log (an int widens by half a point, as Optuna 2's int log), its
 * step if discrete, ending at the last point the step reaches (the points random and grid search use too).
 */
function internal(domain: Domain & { kind: "range" }): {
  low: number;
  high: number;
  step?: number;
  toInternal: (v: number) => number;
} {
  if (domain.log) {
    const half = domain.int ? 0.5 : 0;
    return { low: Math.log(domain.min - half), high: Math.log(domain.max + half), toInternal: Math.log };
  }
  if (!domain.step) return { low: domain.min, high: domain.max, toInternal: (v) => v };
  const high = domain.min + (pointCount(domain) - 1) * domain.step;
  return { low: domain.min, high, step: domain.step, toInternal: (v) => v };
}

function suggestOne(
  domain: Domain,
  good: ParameterValue[],
  bad: ParameterValue[],
  random: Random,
  candidates: number,
): ParameterValue {
  if (domain.kind === "choice") {
    const indices = (values: ParameterValue[]) => values.map((v) => domain.values.indexOf(v)).filter((i) => i >= 0);
    const l = categoricalEstimator(indices(good), domain.values.length);
    const g = categoricalEstimator(indices(bad), domain.values.length);
    return domain.values[
      bestOf(
        candidates,
        () => sampleCategorical(l, random),
        (c) => Math.log(l[c] as number) - Math.log(g[c] as number),
      )
    ] as ParameterValue;
  }
  const scale = internal(domain);
  const observed = (values: ParameterValue[]) =>
    values
      .filter((v): v is number => typeof v === "number" && v >= domain.min && v <= domain.max)
      .map(scale.toInternal);
  const estimator = (values: ParameterValue[]): NumericEstimator =>
    numericEstimator(observed(values), scale.low, scale.high, scale.step);
  const l = estimator(good);
  const g = estimator(bad);
  const x = bestOf(
    candidates,
    () => sampleNumeric(l, random),
    (c) => logDensityNumeric(l, c) - logDensityNumeric(g, c),
  );
  return tidy(domain, domain.log ? Math.exp(x) : x);
}

/** Of `n` draws, the first with the highest score (numpy's argmax). */
function bestOf<T>(n: number, draw: () => T, score: (x: T) => number): T {
  let best = draw();
  let bestScore = score(best);
  for (let i = 1; i < n; i++) {
    const x = draw();
    const s = score(x);
    if (s > bestScore) [best, bestScore] = [x, s];
  }
  return best;
}

/** The parameters of trial `index` of a TPE search, given every trial known so far (running ones are ignored). */
export function tpePoint(args: {
  parameters: ParameterSpec[];
  goal: Goal;
  seed: number;
  index: number;
  trials: TrialObservation[];
  startupTrials?: number;
  candidates?: number;
}): Record<string, ParameterValue> {
  const startup = args.startupTrials ?? TPE_DEFAULTS.startupTrials;
  const ranked = rankFinished(args.trials, args.goal);
  // The first trials draw as random search does with the same seed; so does any trial begun before enough finished.
  if (args.index < startup || ranked.length < startup) return randomPoint(args.parameters, args.seed, args.index);
  const cut = gamma(ranked.length);
  // Oldest first: the estimator's weights fade the oldest observations.
  const byIndex = (ts: TrialObservation[]) => [...ts].sort((a, b) => a.index - b.index);
  const good = byIndex(ranked.slice(0, cut));
  const bad = byIndex(ranked.slice(cut));
  const point: Record<string, ParameterValue> = {};
  for (const spec of args.parameters) {
    const values = (ts: TrialObservation[]) => ts.map((t) => t.parameters[spec.name]).filter((v) => v !== undefined);
    const random = streamFor(args.seed, args.index, `tpe:${spec.name}`);
    point[spec.name] = suggestOne(
      domainOf(spec),
      values(good),
      values(bad),
      random,
      args.candidates ?? TPE_DEFAULTS.candidates,
    );
  }
  return point;
}
