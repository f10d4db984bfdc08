// Helpers for the node agent's end-to-end tests: pods of the testbox image and waiting on their status.
import { CoreV1Api, type KubeConfig, type V1Container, type V1Pod, type V1PodSpec } from "@kubernetes/client-node";
import { TESTBOX_IMAGE } from "../../devcluster/node-agent/images.js";
import { pollUntil } from "../support/poll.js";

export const TESTBOX = `${TESTBOX_IMAGE}:latest`;

export function box(name: string, args: string[], extra: Partial<V1Container> = {}): V1Container {
  return { name, image: TESTBOX, args, ...extra };
}

export async function createPod(
  kc: KubeConfig,
  namespace: string,
  name: string,
  spec: Partial<V1PodSpec>,
): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  return core.createNamespacedPod({
    namespace,
    body: { metadata: { name, labels: { test: name } }, spec: { containers: [], ...spec } as V1PodSpec },
  });
}

/** Polls the pod until `check` returns something truthy; the last status is in the timeout message. */
export async function waitPod<T>(
  kc: KubeConfig,
  namespace: string,
  name: string,
  what: string,
  check: (pod: V1Pod) => T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const core = kc.makeApiClient(CoreV1Api);
  let last: V1Pod | undefined;
  try {
    return await pollUntil(
      `${namespace}/${name}: ${what}`,
      async () => {
        last = await core.readNamespacedPod({ name, namespace });
        return check(last);
      },
      { timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status)}`);
  }
}

export function containerState(pod: V1Pod, container?: string) {
  const s = (pod.status?.containerStatuses ?? []).find((c) => container === undefined || c.name === container);
  return s;
}

export function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** The local PID behind a container ("liftoff-local://<pid>"). */
export function containerPid(pod: V1Pod, container?: string): number {
  const id = containerState(pod, container)?.containerID ?? "";
  return Number(id.replace("liftoff-local://", ""));
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
