// How containers are stopped (pure): the grace period each kind of stop gets, and the signal sequence
// (SIGTERM, wait up to the grace period, SIGKILL) that process.ts's stopInSteps carries out.
import type { V1Pod } from "@kubernetes/client-node";

const DEFAULT_GRACE_SECONDS = 30;
/** After SIGKILL on deletion, how long to wait for the exits before writing the pod's final status. */
export const KILL_SETTLE_MS = 5000;

export interface StopStep {
  signal: "SIGTERM" | "SIGKILL";
  /** Wait up to this long for the processes to exit before the next step; no wait when absent. */
  waitMs?: number;
}

/** A deleted pod: the deletion's own grace period, else the pod's terminationGracePeriodSeconds. */
export function deletionGraceSeconds(pod: V1Pod): number {
  return pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

/** A container failed its liveness or startup probe: the probe's own grace period, else the pod's. */
export function probeKillGraceSeconds(pod: V1Pod, probeGraceSeconds: number | undefined): number {
  return probeGraceSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

/** SIGTERM, up to `graceMs` for the exits, then SIGKILL (and up to `afterKillMs` more when given). */
export function stopSteps(graceMs: number, afterKillMs?: number): StopStep[] {
  return [
    { signal: "SIGTERM", waitMs: graceMs },
    afterKillMs === undefined ? { signal: "SIGKILL" } : { signal: "SIGKILL", waitMs: afterKillMs },
  ];
}
