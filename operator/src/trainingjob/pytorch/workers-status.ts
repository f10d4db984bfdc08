// status.workers of a pytorch TrainingJob (pure): the attempt, how many of its workers run, and the rendezvous.
import type { TrainingJob, TrainingJobStatus } from "../../api/v1alpha1/index.js";
import type { GroupPlan, GroupView } from "./group.js";

export function workersStatus(
  tj: TrainingJob,
  view: GroupView,
  plan: GroupPlan,
): TrainingJobStatus["workers"] | undefined {
  const total = tj.spec.pytorch?.workers ?? 1;
  // The attempt about to start counts from now on: a restart is visible before its first pod runs.
  const attempt = Math.max(
    view.attempt,
    plan.action === "start" ? plan.attempt : -1,
    tj.status?.workers?.attempt ?? -1,
    0,
  );
  const zero = view.attempt === attempt ? view.workers.get(0) : undefined;
  const ready = view.attempt === attempt ? [...view.workers.values()].filter((w) => w.state === "running").length : 0;
  return { attempt, ready, total, ...(zero?.ip ? { masterAddress: zero.ip } : {}) };
}
