// Names, labels and annotations of a TrainingSearch's trials (pure). A trial's name is fixed by its index, so a
// restarted operator that creates "the next trial" again gets AlreadyExists instead of a duplicate.
import { MANAGED_BY } from "../children/labels.js";

export const LABEL_SEARCH = "liftoff.dev/trainingsearch";
export const LABEL_TRIAL_INDEX = "liftoff.dev/trial-index";
/** The trial's parameters, JSON (name → value), as the search chose them. */
export const ANNOTATION_TRIAL_PARAMETERS = "liftoff.dev/trial-parameters";
/** Set by the search when its early-stopping rule stopped the trial: the rule, the epoch and why. */
export const ANNOTATION_STOPPED_EARLY = "liftoff.dev/stopped-early";

/** Trial `index` of search `name`: <name>-<index> (the CRD caps names so that this stays a valid object name). */
export const trialName = (search: string, index: number) => `${search}-${index}`;

export function trialLabels(search: string, index: number): Record<string, string> {
  return { ...MANAGED_BY, [LABEL_SEARCH]: search.slice(0, 63), [LABEL_TRIAL_INDEX]: String(index) };
}
