// Reads why a pod is failing from its status (pure): a container that crash-loops, cannot pull its image or exited
// with an error, or a pod the scheduler cannot place. Every kind that runs pods reports it in a condition.
import type { KubeObject } from "../kube/types.js";
import { Reason } from "../reasons.js";

export interface PodFailure {
  reason: string;
  message: string;
  exitCode?: number;
  pod: string;
}

const FAILING_WAITING = new Set([
  "CrashLoopBackOff",
  "ErrImagePull",
  "ImagePullBackOff",
  "CreateContainerConfigError",
  "CreateContainerError",
  "InvalidImageName",
  "RunContainerError",
]);

/** The first pod problem worth reporting: a failing container, or a pod the scheduler cannot place. */
export function podFailure(pods: readonly KubeObject[]): PodFailure | undefined {
  const sorted = [...pods].sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
  for (const pod of sorted) {
    const name = pod.metadata?.name ?? "";
    for (const cs of pod.status?.containerStatuses ?? []) {
      const waiting = cs.state?.waiting;
      const last = cs.lastState?.terminated ?? cs.state?.terminated;
      if (waiting && FAILING_WAITING.has(waiting.reason)) {
        const detail = last?.message ? last.message.trim() : (waiting.message ?? "");
        return {
          reason: waiting.reason,
          message: detail || waiting.reason,
          ...(last ? { exitCode: last.exitCode } : {}),
          pod: name,
        };
      }
      if (cs.restartCount > 0 && last && last.exitCode !== 0 && !cs.ready) {
        return {
          reason: last.reason ?? "Error",
          message: (last.message ?? "").trim() || `container exited with code ${last.exitCode}`,
          exitCode: last.exitCode,
          pod: name,
        };
      }
    }
    const scheduled = pod.status?.conditions?.find((c: { type: string }) => c.type === "PodScheduled");
    if (scheduled?.status === "False" && scheduled.reason === "Unschedulable") {
      return { reason: Reason.Unschedulable, message: scheduled.message ?? "no node fits the pod", pod: name };
    }
  }
  return undefined;
}

/** The condition reason for a pod problem: the image, the scheduler, a crash loop, or the container. */
export function podFailureReason(f: PodFailure): string {
  if (f.reason === "ErrImagePull" || f.reason === "ImagePullBackOff" || f.reason === "InvalidImageName")
    return Reason.ImagePullFailed;
  if (f.reason === Reason.Unschedulable) return Reason.Unschedulable;
  if (f.reason === "CrashLoopBackOff") return Reason.CrashLoopBackOff;
  return Reason.ContainerFailed;
}
