// Records core/v1 Events about pods, the way `kubectl describe pod` shows the kubelet's (best effort).
import { randomBytes } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import type { Kube } from "./kube.js";
import { timestamp } from "./status.js";

/** The same event for the same object is sent at most this often (a failing 1 s probe would flood the API). */
const REPEAT_MS = 30_000;

export class EventRecorder {
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly kube: Kube,
    private readonly log: (line: string) => void,
  ) {}

  record(
    pod: V1Pod,
    node: string,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
    fieldPath?: string,
  ): void {
    const meta = pod.metadata ?? {};
    const key = `${meta.uid}/${fieldPath ?? ""}/${reason}/${message}`;
    const last = this.recent.get(key);
    if (last !== undefined && Date.now() - last < REPEAT_MS) return;
    this.recent.set(key, Date.now());
    if (this.recent.size > 5000) this.recent.clear();
    const now = timestamp();
    const body = {
      metadata: { name: `${meta.name}.${randomBytes(8).toString("hex")}`, namespace: meta.namespace },
      involvedObject: {
        apiVersion: "v1",
        kind: "Pod",
        name: meta.name,
        namespace: meta.namespace,
        uid: meta.uid,
        ...(fieldPath ? { fieldPath } : {}),
      },
      type,
      reason,
      message,
      source: { component: "kubelet", host: node },
      reportingComponent: "kubelet",
      reportingInstance: node,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.kube.core
      .createNamespacedEvent({ namespace: meta.namespace ?? "default", body: body as never })
      .catch((err: unknown) =>
        this.log(`event ${reason} for ${meta.namespace}/${meta.name} not recorded: ${String(err)}`),
      );
  }
}
