// A node's state from its kstatus-style conditions (and, for pods, the kubelet's container states): one word the
// tree shows, a symbol, and the reason + message that explain it. Pure.

export type NodeState =
  | "Ready"
  /** A search's trial its early-stopping rule stopped: done, not a fault. */
  | "Stopped"
  | "Progressing"
  | "Reconciling"
  | "Stalled"
  | "Drifted"
  | "Degraded"
  | "Failed"
  | "Missing"
  | "Unknown";

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface StateOf {
  state: NodeState;
  reason?: string;
  message?: string;
}

/** How bad a state is: the summary line names the worst node (higher first). */
export const SEVERITY: Readonly<Record<NodeState, number>> = {
  Ready: 0,
  Stopped: 0,
  Unknown: 1,
  Progressing: 2,
  Reconciling: 3,
  Drifted: 4,
  Degraded: 5,
  Stalled: 6,
  Failed: 7,
  Missing: 7,
};

export const SYMBOL: Readonly<Record<NodeState, string>> = {
  Ready: "✔",
  Stopped: "■",
  Progressing: "◌",
  Reconciling: "◌",
  Unknown: "◌",
  Drifted: "⚠",
  Degraded: "⚠",
  Stalled: "✖",
  Failed: "✖",
  Missing: "✖",
};

function cond(conditions: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

const isTrue = (c: Condition | undefined): boolean => c?.status === "True";

function from(state: NodeState, c: Condition | undefined): StateOf {
  return { state, ...(c?.reason ? { reason: c.reason } : {}), ...(c?.message ? { message: c.message } : {}) };
}

/** A DataSet's, TrainingJob's or ModelDeployment's state, worst condition first. */
export function liftoffState(conditions: readonly Condition[] | undefined): StateOf {
  if (!conditions?.length)
    return { state: "Unknown", reason: "NotObserved", message: "the operator has not reported yet" };
  const failed = cond(conditions, "Failed");
  if (isTrue(failed)) return from("Failed", failed);
  const stalled = cond(conditions, "Stalled");
  const ready = cond(conditions, "Ready");
  if (isTrue(stalled)) return from("Stalled", ready?.status === "False" && ready.reason ? ready : stalled);
  for (const t of ["Degraded", "LoopFailed", "Drifted"] as const) {
    const c = cond(conditions, t);
    if (c && isTrue(c)) return from(t === "Drifted" ? "Drifted" : "Degraded", c);
  }
  if (isTrue(ready)) return from("Ready", ready);
  const reconciling = cond(conditions, "Reconciling");
  if (isTrue(reconciling)) return from("Reconciling", ready?.reason ? ready : reconciling);
  const progressing = cond(conditions, "Progressing") ?? cond(conditions, "Running");
  if (isTrue(progressing)) return from("Progressing", ready?.reason ? ready : progressing);
  return from(ready ? "Progressing" : "Unknown", ready);
}

interface ContainerStatus {
  restartCount?: number;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

const FAILING_WAIT = new Set([
  "CrashLoopBackOff",
  "ImagePullBackOff",
  "ErrImagePull",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
]);

/** A pod's state: Failed for a failing container, Ready when its Ready condition is True, else Progressing. */
export function podState(pod: {
  status?: { phase?: string; conditions?: Condition[]; containerStatuses?: ContainerStatus[] };
  metadata?: { deletionTimestamp?: string };
}): StateOf & { restarts: number } {
  const statuses = pod.status?.containerStatuses ?? [];
  const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0);
  for (const s of statuses) {
    const w = s.state?.waiting;
    if (w?.reason && FAILING_WAIT.has(w.reason)) {
      const last = s.lastState?.terminated;
      const why = last?.reason ? ` (last exit: ${last.reason}, code ${last.exitCode ?? "?"})` : "";
      return { state: "Failed", reason: w.reason, message: `${w.message ?? w.reason}${why}`, restarts };
    }
  }
  if (pod.status?.phase === "Failed") return { state: "Failed", reason: "PodFailed", restarts };
  if (pod.metadata?.deletionTimestamp) return { state: "Progressing", reason: "Terminating", restarts };
  const ready = cond(pod.status?.conditions, "Ready");
  if (isTrue(ready)) return { state: "Ready", restarts };
  const sched = cond(pod.status?.conditions, "PodScheduled");
  if (sched?.status === "False") return { ...from("Progressing", sched), restarts };
  return { state: "Progressing", reason: pod.status?.phase ?? "Pending", restarts };
}
