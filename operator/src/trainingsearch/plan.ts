// What a search does next, from its spec and its trials (pure): which running trials its early-stopping rule stops,
// which trial indices to create (at most parallelism running, at most maxTrials in all, the grid's end), and whether
// it is over. The same trials give the same plan, so a restarted operator picks up where the last one was.
import type { TrainingSearch } from "../api/v1alpha1/index.js";
import { type Goal, gridSize, type ParameterSpec, shouldStop } from "./algorithm/index.js";
import type { Trial } from "./observe.js";

export interface Stop {
  trial: Trial;
  reason: string;
  epoch: number;
}

export interface Plan {
  stop: Stop[];
  /** Indices to create now, in order. */
  create: number[];
  /** The trials the search may create in all: maxTrials, or fewer when the grid has fewer points. */
  budget: number;
  /** More trials failed than spec.maxFailedTrials (default: half of maxTrials). */
  failedOut: boolean;
  /** No trial runs and none is left to create. */
  done: boolean;
}

/** spec.parameters in the algorithms' terms: exactly one of float, int or categorical (the CRD's rule). */
export function parameterSpecs(search: TrainingSearch): ParameterSpec[] {
  return search.spec.parameters.map(({ name, path, float, int, categorical }) =>
    float
      ? { name, path, float }
      : int
        ? { name, path, int }
        : { name, path, categorical: categorical ?? { values: [] } },
  );
}

export const maxFailedOf = (search: TrainingSearch) =>
  search.spec.maxFailedTrials ?? Math.floor(search.spec.maxTrials / 2);

export function budgetOf(search: TrainingSearch): number {
  const grid = (search.spec.algorithm?.name ?? "random") === "grid" ? gridSize(parameterSpecs(search)) : Infinity;
  return Math.min(search.spec.maxTrials, grid);
}

export function plan(search: TrainingSearch, trials: readonly Trial[], goal: Goal): Plan {
  const observations = trials.map((t) => t.observation);
  const rule = search.spec.earlyStopping;
  const stop: Stop[] = [];
  if (rule) {
    for (const t of trials) {
      // A trial past its last epoch is publishing its model: stopping it now would only throw a finished run away.
      if (t.observation.state !== "Running" || (t.tj.status?.progress?.percentage ?? 0) >= 100) continue;
      const verdict = shouldStop({ rule, goal, trial: t.observation, trials: observations });
      if (verdict) stop.push({ trial: t, ...verdict });
    }
  }
  const failed = observations.filter((o) => o.state === "Failed").length;
  const failedOut = failed > maxFailedOf(search);
  const running = observations.filter((o) => o.state === "Running").length - stop.length;
  const budget = budgetOf(search);
  // Indices, not counts: a trial deleted by hand is not made again under its old name.
  const next = observations.reduce((m, o) => Math.max(m, o.index + 1), 0);
  const create: number[] = [];
  if (!failedOut) {
    for (let i = next; i < budget && running + create.length < search.spec.parallelism; i++) create.push(i);
  }
  const done = running === 0 && create.length === 0 && (failedOut || next >= budget);
  return { stop, create, budget, failedOut, done };
}
