// Reading a trial's objective: by epoch from its curve (which may skip epochs), its final value, and which of two
// values is better under the goal. Non-finite values (a diverged loss) never count as a value.

import type { Goal, TrialObservation } from "./types.js";

type Point = { epoch: number; value: number };

function finite(curve: readonly Point[]): Point[] {
  return curve.filter((p) => Number.isFinite(p.value));
}

/** The value at `epoch`, else at the nearest earlier epoch the curve has (a stride skips epochs). */
export function valueAtOrBefore(curve: readonly Point[], epoch: number): number | undefined {
  let found: Point | undefined;
  for (const p of finite(curve)) if (p.epoch <= epoch && (!found || p.epoch > found.epoch)) found = p;
  return found?.value;
}

/** The first point at or after `epoch` (where a trial passing a rung is measured). */
export function firstAtOrAfter(curve: readonly Point[], epoch: number): Point | undefined {
  let found: Point | undefined;
  for (const p of curve) if (p.epoch >= epoch && (!found || p.epoch < found.epoch)) found = p;
  return found;
}

/** The latest point of the curve, finite or not. */
export function lastPoint(curve: readonly Point[]): Point | undefined {
  let found: Point | undefined;
  for (const p of curve) if (!found || p.epoch > found.epoch) found = p;
  return found;
}

/** The best finite value of the curve up to `epoch` (Optuna's best intermediate result over steps). */
export function bestUpTo(curve: readonly Point[], epoch: number, goal: Goal): number | undefined {
  let best: number | undefined;
  for (const p of finite(curve))
    if (p.epoch <= epoch && (best === undefined || isBetter(goal, p.value, best))) best = p.value;
  return best;
}

/** A finished trial's objective: the one status reported, else its curve's last finite value. */
export function finalObjective(trial: TrialObservation): number | undefined {
  if (trial.objective !== undefined && Number.isFinite(trial.objective)) return trial.objective;
  const last = lastPoint(finite(trial.curve));
  return last?.value;
}

/** Whether `a` is strictly better than `b`. */
export function isBetter(goal: Goal, a: number, b: number): boolean {
  return goal === "minimize" ? a < b : a > b;
}

/** A value for a sentence: four significant digits. */
export function formatValue(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);
}
