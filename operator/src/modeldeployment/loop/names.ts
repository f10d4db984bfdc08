// Names and labels of the loop's children, and the annotation a person starts a loop with (pure).
import { MANAGED_BY } from "../../children/labels.js";

/** On the loop's DataSets and TrainingJobs: the ModelDeployment whose loop made them. */
export const LABEL_LOOP = "liftoff.dev/loop";
/** Set to any new value to start a loop by hand (read only: the operator never writes it). */
export const RETRAIN_ANNOTATION = "liftoff.dev/retrain";

/** Deterministic, so a restarted operator finds (adopts) the children of the loop it was running. */
export function loopChildName(mdep: string, iteration: number): string {
  return `${mdep}-loop-${iteration}`;
}

/** The iteration a child's name says it belongs to, if it is one of this ModelDeployment's loop children. */
export function loopIterationOf(mdep: string, name: string): number | undefined {
  const prefix = `${mdep}-loop-`;
  if (!name.startsWith(prefix)) return undefined;
  const n = Number(name.slice(prefix.length));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function loopLabels(mdep: string): Record<string, string> {
  return { ...MANAGED_BY, [LABEL_LOOP]: mdep };
}
