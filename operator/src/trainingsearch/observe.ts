// What the search knows of each trial, read from the trial's TrainingJob (pure): its parameters (the annotation the
// search wrote), its state, and its objective per epoch (status.history, which the trial's own progress reports
// write). No database and no sidecar: the trials are the search's memory.
import type { TrainingJob, TrainingSearch, TrialRecord } from "../api/v1alpha1/index.js";
import type { Goal, ParameterValue, TrialObservation } from "./algorithm/index.js";
import { parametersText } from "./desired.js";
import { ANNOTATION_STOPPED_EARLY, ANNOTATION_TRIAL_PARAMETERS, LABEL_TRIAL_INDEX } from "./names.js";
import { failureReason, impliedGoal, objectiveCurve, trialState } from "./trial-view.js";

/** The objective's goal: as given, else the one its metric implies. */
export function goalOf(search: TrainingSearch): Goal {
  return search.spec.objective.goal ?? impliedGoal(search.spec.objective.metric);
}

function trialIndex(tj: TrainingJob): number | undefined {
  const raw = tj.metadata?.labels?.[LABEL_TRIAL_INDEX];
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

function parametersOf(tj: TrainingJob): Record<string, ParameterValue> {
  try {
    const parsed = JSON.parse(tj.metadata?.annotations?.[ANNOTATION_TRIAL_PARAMETERS] ?? "{}") as unknown;
    if (parsed && typeof parsed === "object") {
      return Object.fromEntries(
        Object.entries(parsed).filter((e): e is [string, ParameterValue] => ["number", "string"].includes(typeof e[1])),
      );
    }
  } catch {
    // An annotation edited by hand: the trial still counts, without its parameters.
  }
  return {};
}

export interface Trial {
  tj: TrainingJob;
  observation: TrialObservation;
}

export function observeTrial(tj: TrainingJob, metric: string): Trial | undefined {
  const index = trialIndex(tj);
  if (index === undefined) return undefined;
  const curve = objectiveCurve(tj, metric);
  const state = trialState(tj);
  const last = curve.at(-1);
  return {
    tj,
    observation: {
      index,
      parameters: parametersOf(tj),
      state,
      curve,
      ...(state === "Succeeded" && last ? { objective: last.value } : {}),
    },
  };
}

/** Epochs the trial ran: its progress, else the last epoch of its history. */
export function epochsRun(tj: TrainingJob): number {
  return tj.status?.progress?.epoch ?? tj.status?.history?.epochs.at(-1)?.epoch ?? 0;
}

export function trialRecord(t: Trial): TrialRecord {
  const o = t.observation;
  const reason =
    o.state === "StoppedEarly"
      ? t.tj.metadata?.annotations?.[ANNOTATION_STOPPED_EARLY]
      : o.state === "Failed"
        ? failureReason(t.tj)
        : undefined;
  return {
    index: o.index,
    name: t.tj.metadata?.name ?? "",
    state: o.state,
    parameters: parametersText(o.parameters),
    ...(o.objective !== undefined ? { objective: o.objective } : {}),
    epochs: epochsRun(t.tj),
    ...(reason ? { reason: reason.slice(0, 1024) } : {}),
  };
}

/** The best finished trial (Succeeded, with an objective): the lowest or highest, the earliest index on a tie. */
export function bestTrial(trials: readonly Trial[], goal: Goal): Trial | undefined {
  let best: Trial | undefined;
  for (const t of [...trials].sort((a, b) => a.observation.index - b.observation.index)) {
    const v = t.observation.objective;
    if (t.observation.state !== "Succeeded" || v === undefined) continue;
    const b = best?.observation.objective;
    if (b === undefined || (goal === "minimize" ? v < b : v > b)) best = t;
  }
  return best;
}
