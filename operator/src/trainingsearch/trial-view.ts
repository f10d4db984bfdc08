// How a trial TrainingJob reads (pure): its state, its objective per epoch, and the goal a metric implies. One copy
// for the operator's search (observe.ts) and for `kubectl liftoff curves tsearch/` (plugin/src/chart/search.ts), so
// the two never call a trial differently.
import type { TrainingJob } from "../api/v1alpha1/index.js";
import { ANNOTATION_STOPPED_EARLY } from "./names.js";

export type TrialState = "Running" | "Succeeded" | "StoppedEarly" | "Failed";
export type Goal = "minimize" | "maximize";

/** What these read of a TrainingJob: the plugin passes one as the API server sent it. */
type TrialJob = Pick<TrainingJob, "metadata" | "status">;
type EpochEntry = NonNullable<NonNullable<TrainingJob["status"]>["history"]>["epochs"][number];

const LOWER_IS_BETTER = /loss|mse|mae/;

/** The goal a metric implies when none is given: minimize a loss-like one, maximize a score. */
export const impliedGoal = (metric: string): Goal => (LOWER_IS_BETTER.test(metric) ? "minimize" : "maximize");

/**
 * A trial's state: Succeeded and Failed from its TrainingJob; StoppedEarly once the search stopped it (the
 * annotation, written with the suspension), unless it had already run to its end; Running otherwise.
 */
export function trialState(tj: TrialJob): TrialState {
  const phase = tj.status?.phase;
  if (phase === "Succeeded") return "Succeeded";
  if (phase === "Failed") return "Failed";
  if (tj.metadata?.annotations?.[ANNOTATION_STOPPED_EARLY] !== undefined) return "StoppedEarly";
  return "Running";
}

/** The objective per epoch, from status.history (bounded, possibly strided), in epoch order; finite values only. */
export function objectiveCurve(tj: TrialJob | undefined, metric: string): { epoch: number; value: number }[] {
  const out: { epoch: number; value: number }[] = [];
  // Read defensively: the plugin passes the object as the API server sent it, and skips what is malformed.
  for (const e of (tj?.status?.history?.epochs ?? []) as (EpochEntry | null | undefined)[]) {
    const v = e?.metrics?.[metric];
    if (e && Number.isInteger(e.epoch) && typeof v === "number" && Number.isFinite(v)) {
      out.push({ epoch: e.epoch, value: v });
    }
  }
  return out.sort((a, b) => a.epoch - b.epoch);
}

/** A failed trial's `<reason>: <message>`, from its Failed condition. */
export function failureReason(tj: TrialJob | undefined): string | undefined {
  const conditions: unknown = tj?.status?.conditions;
  const failed = Array.isArray(conditions)
    ? (conditions as ({ type?: string; status?: string; reason?: string; message?: string } | null)[]).find(
        (c) => c?.type === "Failed" && c.status === "True",
      )
    : undefined;
  return failed ? `${failed.reason}: ${failed.message}` : undefined;
}
