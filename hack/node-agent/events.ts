// Records core/v1 Events about pods, the way `kubectl describe pod` shows the kubelet's (best effort).
import { randomBytes } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import type { Kube } from "./kube.js";
import { timestamp } from "./status.js";

export class EventRecorder {
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
