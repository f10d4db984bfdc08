// The demo's few API calls: server-side apply of a Liftoff object, and waiting for one of its conditions.
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { serverSideApply } from "../../operator/src/kube/request.js";
import { type Condition, type ObjectRef, plural } from "./report.js";
import { StepFailure } from "./steps.js";

const DEMO_FIELD_MANAGER = "liftoff-demo";

export interface LiftoffObject {
  apiVersion: string;
  kind: ObjectRef["kind"];
  metadata: { name: string; namespace: string };
  spec: unknown;
}

export async function applyObject(kc: KubeConfig, obj: LiftoffObject): Promise<void> {
  const { namespace, name } = obj.metadata;
  await serverSideApply(
    kc,
    `/apis/liftoff.dev/v1alpha1/namespaces/${namespace}/${plural(obj.kind)}/${name}`,
    obj,
    DEMO_FIELD_MANAGER,
  );
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Conditions that end the wait with a failure when True (e.g. Failed, Stalled). */
  failOn?: string[];
  /** Called with the object on every poll, for progress bars. */
  // biome-ignore lint/suspicious/noExplicitAny: as read back
  onPoll?: (obj: Record<string, any>) => void;
}

/** Polls (with a deadline) until `type` is True; a True failure condition or the deadline ends it as a failure.
 * Conditions count only once the operator has observed the object's current generation (a re-applied object
 * still shows the previous generation's conditions until then). */
export async function waitForCondition(
  kc: KubeConfig,
  ref: ObjectRef,
  type: string,
  opts: WaitOptions,
): Promise<Condition> {
  const deadline = Date.now() + opts.timeoutMs;
  const failOn = opts.failOn ?? ["Failed", "Stalled"];
  for (;;) {
    const obj = await readObject(kc, ref).catch(() => undefined);
    const current = obj !== undefined && obj.status?.observedGeneration === obj.metadata?.generation;
    const conditions: Condition[] = current ? (obj?.status?.conditions ?? []) : [];
    opts.onPoll?.(obj ?? {});
    const wanted = conditions.find((c) => c.type === type && c.status === "True");
    if (wanted) return wanted;
    const failed = conditions.find((c) => failOn.includes(c.type) && c.status === "True");
    if (failed) throw new StepFailure(`${ref.kind} ${ref.name} is ${failed.type}: ${failed.reason}`, ref);
    if (Date.now() > deadline) {
      throw new StepFailure(`${ref.kind} ${ref.name} not ${type} after ${opts.timeoutMs / 1000}s`, ref);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: objects read back from the API are free-form here
export async function readObject(kc: KubeConfig, ref: ObjectRef): Promise<Record<string, any>> {
  return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: ref.namespace,
    plural: plural(ref.kind),
    name: ref.name,
    // biome-ignore lint/suspicious/noExplicitAny: as above
  })) as Record<string, any>;
}

/** Deletes the object if it exists and waits (with a deadline) until it is gone, finalizers included. */
export async function deleteAndWait(kc: KubeConfig, ref: ObjectRef, timeoutMs: number): Promise<boolean> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const target = { group: "liftoff.dev", version: "v1alpha1", namespace: ref.namespace, plural: plural(ref.kind) };
  const existed = await api.deleteNamespacedCustomObject({ ...target, name: ref.name }).then(
    () => true,
    () => false,
  );
  if (!existed) return false;
  const deadline = Date.now() + timeoutMs;
  while (
    await readObject(kc, ref).then(
      () => true,
      () => false,
    )
  ) {
    if (Date.now() > deadline)
      throw new StepFailure(`${ref.kind} ${ref.name} still exists after ${timeoutMs / 1000}s`, ref);
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}
