// Pod status from the agent's view of its containers: phase, conditions and container statuses,
// following the kubelet's rules (getPhase, generateAPIPodStatus). Pure.
import type { V1Pod, V1PodCondition } from "@kubernetes/client-node";
import { podRestartPolicy, type RestartPolicy } from "./restart-policy.js";

export interface Terminated {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt?: string;
  finishedAt: string;
  containerID?: string | undefined;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: Terminated };

export interface ContainerRecord {
  name: string;
  image: string;
  state: ContainerState;
  lastState?: Terminated;
  restartCount: number;
  ready: boolean;
  started: boolean;
  containerID?: string;
  /** An init container with restartPolicy Always (a native sidecar): "done" once started. */
  sidecar?: boolean;
}

/** Whether an init container no longer holds the pod back. */
function initComplete(c: ContainerRecord): boolean {
  if (c.sidecar) return c.started;
  return "terminated" in c.state && c.state.terminated.exitCode === 0;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

/** RFC 3339 in whole seconds, as the API server stores it (so unchanged statuses compare equal). */
export function timestamp(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function podPhase(policy: RestartPolicy, init: ContainerRecord[], containers: ContainerRecord[]): PodPhase {
  let pendingInit = 0;
  let failedInit = 0;
  // A sidecar that has not started holds the pod back only until the containers have started.
  const containersStarted = containers.some((c) => !("waiting" in c.state) || c.lastState);
  for (const c of init) {
    if (c.sidecar) {
      if (!c.started && !containersStarted) pendingInit++;
    } else if ("terminated" in c.state) {
      if (c.state.terminated.exitCode !== 0) failedInit++;
    } else if ("waiting" in c.state && c.lastState) {
      if (c.lastState.exitCode !== 0) failedInit++;
    } else {
      pendingInit++;
    }
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers) {
    if ("running" in c.state) running++;
    else if ("terminated" in c.state) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if (c.lastState) stopped++;
    else waiting++;
  }
  if (failedInit > 0 && policy === "Never") return "Failed";
  if (pendingInit > 0 || failedInit > 0) return "Pending";
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (policy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

function condition(
  previous: V1PodCondition[],
  type: string,
  ok: boolean,
  reason?: string,
  message?: string,
): V1PodCondition {
  const status = ok ? "True" : "False";
  const old = previous.find((c) => c.type === type);
  // Keep the transition time while the status stays the same, like the kubelet.
  const lastTransitionTime = (old?.status === status ? old.lastTransitionTime : undefined) ?? timestamp();
  const c = { type, status, lastTransitionTime } as unknown as V1PodCondition;
  if (!ok && reason) c.reason = reason;
  if (!ok && message) c.message = message;
  // The status is written as a strategic merge patch, which merges conditions by type and keeps fields a patch
  // leaves out: a condition turning True must remove its old reason and message explicitly (null), as the kubelet
  // does, or a Ready pod keeps saying ContainersNotReady.
  const cleared = c as unknown as Record<string, unknown>;
  if (ok && old?.reason !== undefined) cleared.reason = null;
  if (ok && old?.message !== undefined) cleared.message = null;
  return c;
}

function containerStatus(c: ContainerRecord) {
  return {
    name: c.name,
    image: c.image,
    imageID: `liftoff-local://${c.image}`,
    ...(c.containerID ? { containerID: c.containerID } : {}),
    ready: c.ready,
    started: c.started,
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastState ? { terminated: c.lastState } : {},
  };
}

export interface PodStatusInput {
  pod: V1Pod;
  podIP?: string;
  hostIP: string;
  startTime: string;
  sandboxReady: boolean;
  init: ContainerRecord[];
  containers: ContainerRecord[];
}

/** The `status` the agent writes (a strategic-merge patch body: conditions merge by type). */
export function podStatus(input: PodStatusInput) {
  const { pod, init, containers } = input;
  const policy = podRestartPolicy(pod);
  const phase = podPhase(policy, init, containers);
  const previous = (pod.status?.conditions ?? []).map((c) => ({
    ...c,
    lastTransitionTime: c.lastTransitionTime as unknown as string,
  })) as unknown as V1PodCondition[];
  const incompleteInit = init.filter((c) => !initComplete(c));
  const unready = containers.filter((c) => !c.ready);
  const terminal = phase === "Succeeded" || phase === "Failed";
  const terminalReason = phase === "Succeeded" ? "PodCompleted" : "PodFailed";
  const gates = (pod.spec?.readinessGates ?? []).filter(
    (g) => previous.find((c) => c.type === g.conditionType)?.status !== "True",
  );
  const containersReady = !terminal && unready.length === 0;
  const readyMessage = `containers with unready status: [${unready.map((c) => c.name).join(" ")}]`;
  const conditions = [
    condition(previous, "PodReadyToStartContainers", input.sandboxReady),
    condition(
      previous,
      "Initialized",
      incompleteInit.length === 0,
      "ContainersNotInitialized",
      `containers with incomplete status: [${incompleteInit.map((c) => c.name).join(" ")}]`,
    ),
    condition(
      previous,
      "ContainersReady",
      containersReady,
      terminal ? terminalReason : "ContainersNotReady",
      terminal ? undefined : readyMessage,
    ),
    condition(
      previous,
      "Ready",
      containersReady && gates.length === 0,
      terminal ? terminalReason : unready.length > 0 ? "ContainersNotReady" : "ReadinessGatesNotReady",
      terminal
        ? undefined
        : unready.length > 0
          ? readyMessage
          : `corresponding condition of pod readiness gate "${gates[0]?.conditionType}" does not exist.`,
    ),
  ];
  const ips = input.podIP ? { podIP: input.podIP, podIPs: [{ ip: input.podIP }] } : {};
  return {
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...ips,
    startTime: input.startTime,
    initContainerStatuses: init.map(containerStatus),
    containerStatuses: containers.map(containerStatus),
  };
}
