// metav1.Condition helpers (pure). lastTransitionTime moves only when status flips, so an unchanged condition
// serializes identically and a reconcile that changes nothing writes nothing.
import { ConditionType } from "../reasons.js";

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export type ConditionInput = Omit<Condition, "lastTransitionTime" | "observedGeneration">;

/** Sets (or replaces) one condition, keeping its transition time unless its status changed. */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  generation: number | undefined,
  now: () => string,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === input.type);
  const previous = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    type: input.type,
    status: input.status,
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    lastTransitionTime: previous && previous.status === input.status ? previous.lastTransitionTime : now(),
    reason: input.reason,
    message: input.message,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}

export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** The condition of `type` in any list of conditions (ours, or a Node's, Pod's, Job's, Deployment's). */
export function findCondition<C extends { type: string }>(
  conditions: readonly C[] | undefined,
  type: string,
): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Whether the condition of `type` is there and True. */
export function isConditionTrue(conditions: readonly { type: string; status: string }[] | undefined, type: string) {
  return findCondition(conditions, type)?.status === "True";
}

/**
 * Applies a whole set of desired conditions: the listed ones are set, the abnormal-true kstatus conditions
 * (Reconciling, Stalled) that are not listed are removed, others are kept.
 */
export function applyConditions(
  current: readonly Condition[] | undefined,
  desired: readonly ConditionInput[],
  generation: number | undefined,
  now: () => string,
): Condition[] {
  let list = [...(current ?? [])];
  for (const abnormal of [ConditionType.Reconciling, ConditionType.Stalled]) {
    if (!desired.some((d) => d.type === abnormal)) list = removeCondition(list, abnormal);
  }
  for (const d of desired) list = setCondition(list, d, generation, now);
  const order = desired.map((d) => d.type);
  return list.sort((a, b) => rank(order, a.type) - rank(order, b.type));
}

function rank(order: string[], type: string): number {
  const i = order.indexOf(type);
  return i < 0 ? order.length : i;
}
