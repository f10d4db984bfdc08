// Predicates that drop watch events which cannot change a reconcile's outcome (pure).
import type { Node } from "../kube/models.js";
import { ConditionType } from "../reasons.js";
import { stableStringify } from "../util/stable-json.js";
import { findCondition } from "./conditions.js";
import type { InformerEvent } from "./informer.js";

/**
 * A Node change that can move where pods fit: added or removed, or its allocatable resources, taints,
 * schedulability or readiness changed. Kubelet heartbeats (a new lastHeartbeatTime every few seconds) do not.
 */
export function nodeSchedulingChanged(node: Node, event: InformerEvent, old?: Node): boolean {
  if (event !== "updated" || !old) return true;
  const ready = (n: Node) => findCondition(n.status?.conditions, ConditionType.Ready)?.status;
  return (
    stableStringify(node.status?.allocatable ?? {}) !== stableStringify(old.status?.allocatable ?? {}) ||
    stableStringify(node.spec?.taints ?? []) !== stableStringify(old.spec?.taints ?? []) ||
    Boolean(node.spec?.unschedulable) !== Boolean(old.spec?.unschedulable) ||
    ready(node) !== ready(old)
  );
}
