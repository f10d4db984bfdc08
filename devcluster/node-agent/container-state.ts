// A container's record as the kubelet would show it at each step of its life: before it runs, while its run cannot
// be prepared, when it cannot start, once it exits and while it waits out the restart back-off (pure).
import type { V1Container, V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { ImagePullError } from "./container-plan.js";
import { ContainerConfigError } from "./env.js";
import { describe, httpStatus } from "./kube.js";
import type { Exit } from "./process.js";
import type { ContainerRole } from "./restart-policy.js";
import type { ContainerRecord, ContainerState, Terminated } from "./status.js";

export function containerRole(spec: V1Container, isInit: boolean): ContainerRole {
  if (!isInit) return "container";
  return spec.restartPolicy === "Always" ? "sidecar" : "init";
}

/**
 * The record a container starts from: an init container that already succeeded (before an agent restart) keeps
 * its terminated state and is not run again; every other container waits, and the restart count carries over.
 */
export function initialRecord(
  spec: V1Container,
  role: ContainerRole,
  podHasInit: boolean,
  prior: V1ContainerStatus | undefined,
): ContainerRecord {
  const doneInit = role === "init" && prior?.state?.terminated?.exitCode === 0;
  return {
    name: spec.name,
    image: spec.image ?? "",
    state: doneInit
      ? { terminated: { ...(prior?.state?.terminated as unknown as Terminated) } }
      : { waiting: { reason: podHasInit ? "PodInitializing" : "ContainerCreating" } },
    restartCount: prior?.restartCount ?? 0,
    ready: false,
    started: false,
    ...(role === "sidecar" ? { sidecar: true } : {}),
  };
}

export function hasSucceeded(state: ContainerState): boolean {
  return "terminated" in state && state.terminated.exitCode === 0;
}

/**
 * A run that could not be prepared, as the kubelet's waiting reason (the image, the env references, or anything
 * else) and message (an API error described by its status).
 */
export function planFailure(err: unknown): { reason: string; message: string } {
  const reason =
    err instanceof ImagePullError
      ? "ErrImagePull"
      : err instanceof ContainerConfigError
        ? err.reason
        : "ContainerCreating";
  const message = err instanceof Error && httpStatus(err) === undefined ? err.message : describe(err);
  return { reason, message };
}

/** The program could not be started at all (e.g. not found): exit code 128 and reason StartError, as runc reports. */
export function startFailure(
  container: string,
  program: string | undefined,
  err: Error,
  startedAt: string,
  finishedAt: string,
): Terminated {
  const message = `failed to start container "${container}": exec: "${program}": ${err.message}`;
  return { exitCode: 128, reason: "StartError", message, startedAt, finishedAt };
}

/** A finished run; `message` is the termination message, if the container left one. */
export function exitedState(
  exit: Exit,
  startedAt: string,
  finishedAt: string,
  containerID: string | undefined,
  message: string | undefined,
): Terminated {
  const t: Terminated = {
    exitCode: exit.exitCode,
    ...(exit.signal !== undefined ? { signal: exit.signal } : {}),
    reason: exit.exitCode === 0 ? "Completed" : "Error",
    startedAt,
    finishedAt,
    containerID,
  };
  if (message) t.message = message;
  return t;
}

/** How long a run lasted (0 when its start is unknown): a long run resets the restart back-off. */
export function ranForMs(t: Terminated): number {
  return Date.parse(t.finishedAt) - Date.parse(t.startedAt ?? t.finishedAt);
}

/** The waiting state shown while the restart back-off runs, worded as the kubelet's. */
export function crashLoopWaiting(delayMs: number, container: string, pod: V1Pod): ContainerState {
  const { name, namespace = "default", uid = "" } = pod.metadata ?? {};
  const message = `back-off ${delayMs / 1000}s restarting failed container=${container} pod=${name}_${namespace}(${uid})`;
  return { waiting: { reason: "CrashLoopBackOff", message } };
}
