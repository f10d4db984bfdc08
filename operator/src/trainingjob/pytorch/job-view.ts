// A worker group seen as the batch Job a TrainingJob's status is computed from (pure): status.ts reads Complete,
// Failed, suspend, active and startTime from a Job, and the group gives the same facts — so both kinds of run share
// one status computation (phases, conditions, messages, the model) instead of two that drift apart.
import type { TrainingJob } from "../../api/v1alpha1/index.js";
import type { Job } from "../../kube/models.js";
import { outcomeOfPods, type TrainOutcome } from "../outcome.js";
import type { GroupPlan, GroupView } from "./group.js";

/** The batch Job's own condition types, which status.ts reads. */
const JOB_COMPLETE = "Complete";
const JOB_FAILED = "Failed";

const finishedAt = (plan: GroupPlan): string | undefined => {
  if (plan.action !== "complete" && plan.action !== "fail") return undefined;
  const t = plan.worker?.pod.status?.containerStatuses?.[0]?.state?.terminated?.finishedAt;
  return t ? String(t) : undefined;
};

/** The Job the group stands for, or undefined while no worker exists (status says why it waits). */
export function jobViewOf(tj: TrainingJob, view: GroupView, plan: GroupPlan, now: string): Job | undefined {
  const started = view.startTime !== undefined;
  const suspended = plan.action === "suspend";
  if (!started && !suspended) return undefined;
  const at = finishedAt(plan) ?? now;
  const conditions =
    plan.action === "complete"
      ? [{ type: JOB_COMPLETE, status: "True", lastTransitionTime: at }]
      : plan.action === "fail"
        ? [{ type: JOB_FAILED, status: "True", reason: plan.jobReason, lastTransitionTime: at }]
        : [];
  const running = [...view.workers.values()].filter((w) => w.state === "running").length;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: tj.metadata?.name ?? "",
      ...(tj.metadata?.namespace ? { namespace: tj.metadata.namespace } : {}),
    },
    spec: { suspend: suspended, template: {} },
    status: {
      ...(view.startTime ? { startTime: view.startTime } : {}),
      ...(plan.action === "complete" ? { completionTime: at } : {}),
      active: running,
      failed: view.failedAttempts,
      conditions,
    },
  } as Job;
}

/**
 * What the group's pods said: worker 0's report on success; on failure, the worker that decided it (a script error
 * on one rank, not its peers' "connection closed"), else any worker's words.
 */
export function groupOutcome(view: GroupView, plan: GroupPlan): TrainOutcome | undefined {
  if ((plan.action === "complete" || plan.action === "fail") && plan.worker) {
    const own = outcomeOfPods([plan.worker.pod]);
    if (own) return own;
  }
  return outcomeOfPods([...view.workers.values()].map((w) => w.pod));
}
