// What the serving faults share: steady load on the ModelDeployment through its Service's ready endpoints, and
// waiting (with a deadline) for the Deployment's rollout to finish.
import { AppsV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { childNames } from "../../../operator/src/modeldeployment/names.js";
import { POD_ENV } from "../../../runtime/src/contract/pod-env.js";
import { EndpointPool } from "../endpoints.js";
import { type Env, MDEP, NS, versionOf } from "../env.js";
import { SteadyLoad } from "../load.js";

export interface Serving {
  pool: EndpointPool;
  load: SteadyLoad;
  stop(): Promise<void>;
}

export async function startServingLoad(env: Env, opts: { retryUnsent?: boolean } = {}): Promise<Serving> {
  const pool = new EndpointPool(env.kc, NS, MDEP);
  await pool.start();
  const load = new SteadyLoad(
    {
      pool,
      model: MDEP,
      classify: (p) => versionOf(p, env.models),
      apiKey: env.apiKey,
      ...(opts.retryUnsent ? { retryUnsent: true } : {}),
    },
    env.options.rate,
  );
  load.start();
  return {
    pool,
    load,
    stop: async () => {
      await load.stop();
      pool.stop();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until the stable Deployment's template serves `digest` (the operator has applied the change) and has rolled out
 * on `replicas` available pods, none of an older template left. */
export async function waitRolledOut(env: Env, replicas: number, timeoutMs: number, digest?: string): Promise<void> {
  const apps = env.kc.makeApiClient(AppsV1Api);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await apps
      .readNamespacedDeployment({ name: childNames(MDEP).deployment("stable"), namespace: NS })
      .catch(() => undefined);
    const s = d?.status;
    const env0 = d?.spec?.template.spec?.containers[0]?.env ?? [];
    const serves = digest === undefined || env0.some((e) => e.name === POD_ENV.modelDigest.name && e.value === digest);
    if (
      d &&
      serves &&
      (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
      s?.updatedReplicas === replicas &&
      s?.replicas === replicas &&
      s?.availableReplicas === replicas
    ) {
      return;
    }
    if (Date.now() > deadline) throw new Error(`rollout of ${MDEP} not finished after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** The serving pods, newest last. */
export async function servingPods(env: Env): Promise<V1Pod[]> {
  const pods = await env.kc
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: NS, labelSelector: `liftoff.dev/modeldeployment=${MDEP}` });
  return pods.items.sort(
    (a, b) => (a.metadata?.creationTimestamp?.getTime() ?? 0) - (b.metadata?.creationTimestamp?.getTime() ?? 0),
  );
}

/** The local PID behind a pod's container ("liftoff-local://<pid>" in the node agent's status). */
export function containerPid(pod: V1Pod): number | undefined {
  const id = pod.status?.containerStatuses?.[0]?.containerID ?? "";
  const pid = Number(id.replace("liftoff-local://", ""));
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
