import { describe, expect, it } from "vitest";
import type { Node } from "../kube/models.js";
import { nodeSchedulingChanged } from "./predicates.js";

const node = (over: { gpu?: string; ready?: string; heartbeat?: string; taint?: boolean; cordon?: boolean } = {}) =>
  ({
    metadata: { name: "gpu-1", resourceVersion: "1" },
    spec: {
      ...(over.taint ? { taints: [{ key: "nvidia.com/gpu", effect: "NoSchedule" }] } : {}),
      ...(over.cordon ? { unschedulable: true } : {}),
    },
    status: {
      allocatable: { cpu: "8", memory: "32Gi", "nvidia.com/gpu": over.gpu ?? "2" },
      conditions: [
        {
          type: "Ready",
          status: over.ready ?? "True",
          reason: "KubeletReady",
          lastHeartbeatTime: over.heartbeat ?? "2026-01-01T00:00:00Z",
        },
      ],
    },
  }) satisfies Node;

describe("nodeSchedulingChanged", () => {
  it("ignores a kubelet heartbeat", () => {
    expect(nodeSchedulingChanged(node({ heartbeat: "2026-01-01T00:00:10Z" }), "updated", node())).toBe(false);
  });

  it("passes a change of allocatable, taints, schedulability or readiness", () => {
    expect(nodeSchedulingChanged(node({ gpu: "1" }), "updated", node())).toBe(true);
    expect(nodeSchedulingChanged(node({ taint: true }), "updated", node())).toBe(true);
    expect(nodeSchedulingChanged(node({ cordon: true }), "updated", node())).toBe(true);
    expect(nodeSchedulingChanged(node({ ready: "False" }), "updated", node())).toBe(true);
  });

  it("passes nodes joining and leaving", () => {
    expect(nodeSchedulingChanged(node(), "added")).toBe(true);
    expect(nodeSchedulingChanged(node(), "deleted")).toBe(true);
  });
});
