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

/** How the runtime prints the error it stops on (runtime/src/commands/command.ts's fail), after its JSON log lines. */
const RUNTIME_ERROR = /^liftoff-runtime: error: /;
/** Longest pod message a condition quotes. */
const MAX_POD_MESSAGE = 500;

/**
 * A pod's words as one line for a condition: the error the runtime stopped on rather than the log tail the kubelet
 * copies (terminationMessagePolicy FallbackToLogsOnError), without the reason the condition already shows
 * (`VaultPermissionDenied: …`), and a missing claim said once in plain words (the scheduler's reads
 * `persistentvolumeclaim "x" not found. not found`).
 */
export function podMessage(text: string, reason?: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  let line = [...lines].reverse().find((l) => RUNTIME_ERROR.test(l)) ?? readable(lines.at(-1) ?? "");
  line = withoutReason(line.replace(RUNTIME_ERROR, ""), reason);
  const claim = /persistentvolumeclaim "([^"]+)" not found/i.exec(line)?.[1];
  if (claim)
    line = `PersistentVolumeClaim "${claim}" does not exist in the namespace; create it, or name an existing claim in the spec`;
  return line.length > MAX_POD_MESSAGE ? `${line.slice(0, MAX_POD_MESSAGE - 1)}…` : line;
}

/**
 * A message a pod reported on purpose (a report, a termination message in JSON), without the reason its condition
 * already shows: `VaultPermissionDenied: logging in …` under reason VaultPermissionDenied says it twice.
 */
export function withoutReason(message: string, reason: string | undefined): string {
  return reason && message.startsWith(`${reason}: `) ? message.slice(reason.length + 2) : message;
}

/** A JSON log line's own message (pino's msg), else the line as it is. */
function readable(line: string): string {
  if (!line.startsWith("{")) return line;
  try {
    const doc = JSON.parse(line) as { msg?: unknown };
    return typeof doc.msg === "string" && doc.msg !== "" ? doc.msg : line;
  } catch {
    return line;
  }
}
