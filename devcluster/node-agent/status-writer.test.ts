import type { V1Pod, V1PodStatus } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { Kube } from "./kube.js";
import { heartbeatDelayMs } from "./nodes.js";
import { PodStatusWriter } from "./status-writer.js";

const READY = { phase: "Running", conditions: [{ type: "Ready", status: "True" }] };

function writer() {
  const writes: unknown[] = [];
  let pod: V1Pod = { metadata: { name: "p", namespace: "ns", uid: "u" }, status: {} };
  const kube = {
    core: {
      patchNamespacedPodStatus: async (req: { body: { status: unknown } }) => {
        writes.push(req.body.status);
        pod = { ...pod, status: req.body.status as V1PodStatus };
        return pod;
      },
    },
  } as unknown as Kube;
  const w = new PodStatusWriter({ kube, log: () => undefined, pod: () => pod, status: () => READY, gone: () => false });
  return {
    w,
    writes,
    serverSets: (status: V1PodStatus) => {
      pod = { ...pod, status };
    },
  };
}

describe("PodStatusWriter", () => {
  it("finding: pods the node lifecycle controller marked not ready (API server down past the grace period) stayed so for good — the agent writes their status again", async () => {
    const { w, writes, serverSets } = writer();
    w.markDirty();
    await w.settled();
    expect(writes).toEqual([READY]);
    // The API server is back; the controller saw a stale node lease and marked the pod not ready.
    serverSets({ phase: "Running", conditions: [{ type: "Ready", status: "False", reason: "NodeNotReady" }] });
    w.observed();
    await w.settled();
    expect(writes).toEqual([READY, READY]);
  });

  it("writes nothing when the server's status agrees, or before its own first write", async () => {
    const { w, writes, serverSets } = writer();
    w.observed();
    await w.settled();
    expect(writes).toEqual([]);
    w.markDirty();
    await w.settled();
    serverSets({ ...READY, conditions: [{ type: "Ready", status: "True" }] });
    w.observed();
    w.markDirty();
    await w.settled();
    expect(writes).toEqual([READY]);
  });
});

describe("node heartbeats", () => {
  it("retry after 1, 2, 4, 8 s when renewing the Lease fails, else every 10 s", () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(heartbeatDelayMs)).toEqual([10_000, 1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});
