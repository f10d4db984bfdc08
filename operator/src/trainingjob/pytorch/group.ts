// A pytorch TrainingJob's worker group as its pods show it, and what to do next (pure). Worker 0 is created first,
// the others once it has a pod IP: that address is their torchrun master (--master-addr), which needs no DNS and no
// Service. The rendezvous is static (--nnodes=N, --node-rank=i), so a lost worker cannot rejoin: the whole group is
// restarted as the next attempt (new pods, new names, worker 0's new address) and resumes from the last checkpoint —
// what torchrun's own c10d rendezvous would do on a worker's loss too, without an elastic agent to run.
import type { TrainingJob } from "../../api/v1alpha1/index.js";
import type { Pod } from "../../kube/models.js";
import { NON_RETRIABLE_EXIT_CODES } from "../desired.js";
import { CONTAINER, LABEL_ATTEMPT, LABEL_WORKER } from "../names.js";

/** stopping: being deleted (by this operator: a restart, a suspension; or by a drain) — never counted as a failure. */
type WorkerState = "pending" | "running" | "succeeded" | "failed" | "stopping";

export interface Worker {
  index: number;
  attempt: number;
  pod: Pod;
  name: string;
  state: WorkerState;
  exitCode?: number;
  ip?: string;
  /** The scheduler found no node for it. */
  unschedulable?: string;
}

export interface GroupView {
  /** The newest attempt that has pods, or -1 when there are none. */
  attempt: number;
  /** The workers of that attempt not being deleted, by index. */
  workers: Map<number, Worker>;
  /** Attempts that ended with a failed worker (each counts once against runPolicy.backoffLimit). */
  failedAttempts: number;
  /** Every worker pod not finished yet, of any attempt. */
  live: Worker[];
  /** Worker pods being deleted. */
  stopping: Worker[];
  /** The first worker pod's creation, of any attempt: when training started. */
  startTime?: string;
}

const intLabel = (pod: Pod, key: string) => {
  const v = Number(pod.metadata?.labels?.[key]);
  return Number.isInteger(v) && v >= 0 ? v : undefined;
};

function workerOf(pod: Pod): Worker | undefined {
  const index = intLabel(pod, LABEL_WORKER);
  const attempt = intLabel(pod, LABEL_ATTEMPT);
  if (index === undefined || attempt === undefined) return undefined;
  const cs = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER);
  const terminated = cs?.state?.terminated;
  const phase = pod.status?.phase;
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  let state: WorkerState;
  if (phase === "Succeeded" || (terminated && terminated.exitCode === 0)) state = "succeeded";
  // Deleted before it failed: its peers' errors are the deletion's doing. A drain of one worker is seen once it is
  // gone (planGroup's missing workers).
  else if (pod.metadata?.deletionTimestamp) state = "stopping";
  else if (phase === "Failed" || terminated) state = "failed";
  else if (phase === "Running") state = "running";
  else state = "pending";
  const ip = pod.status?.podIP;
  return {
    index,
    attempt,
    pod,
    name: pod.metadata?.name ?? "",
    state,
    ...(terminated ? { exitCode: terminated.exitCode } : {}),
    ...(ip ? { ip } : {}),
    ...(scheduled?.status === "False" && scheduled.reason === "Unschedulable"
      ? { unschedulable: scheduled.message ?? "no node fits the pod" }
      : {}),
  };
}

export function groupView(pods: readonly Pod[]): GroupView {
  const all = pods.map(workerOf).filter((w): w is Worker => w !== undefined);
  const attempt = all.reduce((m, w) => Math.max(m, w.attempt), -1);
  const workers = new Map(all.filter((w) => w.attempt === attempt && w.state !== "stopping").map((w) => [w.index, w]));
  const failedAttempts = new Set(all.filter((w) => w.state === "failed").map((w) => w.attempt)).size;
  const created = all
    .map((w) => w.pod.metadata?.creationTimestamp)
    .filter((t): t is string => typeof t === "string")
    .sort();
  return {
    attempt,
    workers,
    failedAttempts,
    live: all.filter((w) => w.state === "pending" || w.state === "running"),
    stopping: all.filter((w) => w.state === "stopping"),
    ...(created[0] ? { startTime: String(created[0]) } : {}),
  };
}

export type GroupPlan =
  /** Nothing to create or delete now: the group is starting or running. */
  | { action: "wait" }
  /** Start attempt `attempt`: the gang check first, then worker 0. */
  | { action: "start"; attempt: number; delete: Worker[]; why?: string }
  /** Worker 0 has its address: create the others. */
  | { action: "create"; attempt: number; indices: number[]; masterAddress: string }
  /** A worker cannot be scheduled: remove the half-started group and wait for room (not a failure). */
  | { action: "unschedulable"; delete: Worker[]; message: string }
  | { action: "suspend"; delete: Worker[] }
  /** Worker 0 reported the model. */
  | { action: "complete"; worker: Worker; delete: Worker[] }
  | {
      action: "fail";
      jobReason: "BackoffLimitExceeded" | "PodFailurePolicy" | "DeadlineExceeded";
      worker?: Worker;
      delete: Worker[];
    };

/** What the group needs next. `attemptFloor`: the attempt status last showed (suspended attempts leave no pods). */
export function planGroup(tj: TrainingJob, view: GroupView, now: Date, attemptFloor = -1): GroupPlan {
  const total = tj.spec.pytorch?.workers ?? 1;
  const rp = tj.spec.runPolicy;
  const next = Math.max(view.attempt, attemptFloor) + 1;
  if (rp?.suspend) return { action: "suspend", delete: view.live };
  const deadline = rp?.activeDeadlineSeconds;
  if (deadline !== undefined && view.startTime && now.getTime() - Date.parse(view.startTime) > deadline * 1000) {
    return { action: "fail", jobReason: "DeadlineExceeded", delete: view.live };
  }
  const current = [...view.workers.values()];
  const zero = view.workers.get(0);
  if (zero?.state === "succeeded") return { action: "complete", worker: zero, delete: view.live };
  const failed = current.filter((w) => w.state === "failed");
  // A worker gone from a group that had it: worker 0 missing beside the others, or some of the others missing
  // (they are created together) — deleted or drained.
  const lostIndex =
    zero === undefined && current.length > 0
      ? 0
      : zero !== undefined && current.length > 1 && current.length < total
        ? Array.from({ length: total }, (_, i) => i).find((i) => !view.workers.has(i))
        : undefined;
  if (failed.length > 0 || lostIndex !== undefined) {
    const fatal = failed.find((w) => w.exitCode !== undefined && NON_RETRIABLE_EXIT_CODES.includes(w.exitCode));
    if (fatal) return { action: "fail", jobReason: "PodFailurePolicy", worker: fatal, delete: view.live };
    if (view.failedAttempts > (rp?.backoffLimit ?? 3)) {
      return {
        action: "fail",
        jobReason: "BackoffLimitExceeded",
        ...(failed[0] ? { worker: failed[0] } : {}),
        delete: view.live,
      };
    }
    const first = failed[0];
    return {
      action: "start",
      attempt: next,
      delete: view.live,
      why: first
        ? `worker ${first.index} (pod ${first.name}) ${first.exitCode !== undefined ? `exited with code ${first.exitCode}` : "failed"}`
        : `worker ${lostIndex} was deleted`,
    };
  }
  const stuck = current.find((w) => w.unschedulable);
  if (stuck) {
    return {
      action: "unschedulable",
      delete: view.live,
      message: `worker ${stuck.index} cannot be scheduled (${stuck.unschedulable}); the group was removed and starts again when all ${total} fit`,
    };
  }
  if (!zero) return { action: "start", attempt: next, delete: view.live };
  const missing = Array.from({ length: total - 1 }, (_, i) => i + 1).filter((i) => !view.workers.has(i));
  if (missing.length > 0 && zero.ip && zero.state === "running") {
    return { action: "create", attempt: view.attempt, indices: missing, masterAddress: zero.ip };
  }
  return { action: "wait" };
}
