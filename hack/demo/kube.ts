// The demo's few API calls: server-side apply of a Liftoff object, and waiting for one of its conditions.
import type { KubeConfig } from "@kubernetes/client-node";
import { serverSideApply } from "../../operator/src/kube/request.js";
import { type Condition, type ObjectRef, plural, readConditions } from "./report.js";
import { StepFailure } from "./steps.js";

export const DEMO_FIELD_MANAGER = "liftoff-demo";

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
  /** Called on every poll, for progress bars. */
  onPoll?: (conditions: Condition[]) => void;
}

/** Polls (with a deadline) until `type` is True; a True failure condition or the deadline ends it as a failure. */
export async function waitForCondition(
  kc: KubeConfig,
  ref: ObjectRef,
  type: string,
  opts: WaitOptions,
): Promise<Condition> {
  const deadline = Date.now() + opts.timeoutMs;
  const failOn = opts.failOn ?? ["Failed", "Stalled"];
  for (;;) {
    const conditions = await readConditions(kc, ref).catch(() => [] as Condition[]);
    opts.onPoll?.(conditions);
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
