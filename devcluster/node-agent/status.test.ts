import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { inRoot, mountLinks } from "./layout.js";
import { ProbeCounter, resolvePort } from "./probes.js";
import { volumeFor, wantsVolume } from "./provisioner.js";
import { type ContainerRecord, podPhase, podStatus } from "./status.js";
import { MountError, volumeFiles } from "./volume-files.js";

const running = (name: string, ready = true): ContainerRecord => ({
  name,
  image: "i",
  state: { running: { startedAt: "2026-01-01T00:00:00Z" } },
  restartCount: 0,
  ready,
  started: true,
});
const exited = (name: string, exitCode: number): ContainerRecord => ({
  name,
  image: "i",
  state: { terminated: { exitCode, reason: exitCode ? "Error" : "Completed", finishedAt: "2026-01-01T00:00:01Z" } },
  restartCount: 0,
  ready: false,
  started: false,
});
const waiting = (name: string, reason: string): ContainerRecord => ({
  name,
  image: "i",
  state: { waiting: { reason } },
  restartCount: 0,
  ready: false,
  started: false,
});

describe("podPhase (the kubelet's getPhase)", () => {
  it("is Pending while a container waits or init is incomplete", () => {
    expect(podPhase("Always", [], [waiting("a", "ContainerCreating")])).toBe("Pending");
    expect(podPhase("Always", [running("init")], [waiting("a", "PodInitializing")])).toBe("Pending");
  });

  it("is Running while containers run or restart", () => {
    expect(podPhase("Always", [], [running("a")])).toBe("Running");
    const crashing = {
      ...waiting("a", "CrashLoopBackOff"),
      lastState: { exitCode: 1, reason: "Error", finishedAt: "" },
    };
    expect(podPhase("Always", [], [crashing])).toBe("Running");
    expect(podPhase("OnFailure", [], [exited("a", 1)])).toBe("Running");
  });

  it("lets a started sidecar init container count as done, and ignores it once the Job finished", () => {
    const sidecar = { ...running("proxy"), sidecar: true };
    expect(podPhase("Never", [{ ...sidecar, started: false }], [waiting("a", "PodInitializing")])).toBe("Pending");
    expect(podPhase("Never", [sidecar], [running("a")])).toBe("Running");
    expect(podPhase("Never", [{ ...exited("proxy", 143), sidecar: true }], [exited("a", 0)])).toBe("Succeeded");
  });

  it("is Succeeded or Failed for finished Job pods", () => {
    expect(podPhase("Never", [], [exited("a", 0), exited("b", 0)])).toBe("Succeeded");
    expect(podPhase("OnFailure", [], [exited("a", 0)])).toBe("Succeeded");
    expect(podPhase("Never", [], [exited("a", 0), exited("b", 2)])).toBe("Failed");
    expect(podPhase("Never", [exited("init", 1)], [waiting("a", "PodInitializing")])).toBe("Failed");
  });
});

describe("podStatus", () => {
  const pod: V1Pod = {
    metadata: { name: "p", namespace: "ns" },
    spec: { containers: [], restartPolicy: "Always" },
    status: { conditions: [{ type: "PodScheduled", status: "True" }] },
  };

  it("reports Ready only when every container is ready, naming the unready ones", () => {
    const s = podStatus({
      pod,
      podIP: "127.80.1.2",
      hostIP: "127.80.1.1",
      startTime: "t",
      sandboxReady: true,
      init: [],
      containers: [running("a"), running("b", false)],
    });
    expect(s.phase).toBe("Running");
    expect(s.podIPs).toEqual([{ ip: "127.80.1.2" }]);
    const ready = s.conditions.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
      message: "containers with unready status: [b]",
    });
    expect(s.containerStatuses[1]).toMatchObject({ name: "b", ready: false, lastState: {} });
  });

  it("clears the old reason and message (null in the strategic merge patch) when Ready turns True", () => {
    const input = { podIP: "127.80.1.2", hostIP: "127.80.1.1", startTime: "t", sandboxReady: true, init: [] };
    const unready = podStatus({ ...input, pod, containers: [running("a", false)] });
    const s = podStatus({
      ...input,
      pod: { ...pod, status: { conditions: unready.conditions } } as V1Pod,
      containers: [running("a")],
    });
    const ready = s.conditions.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "True", reason: null, message: null });
    // Once the API server has dropped them, nothing more to clear.
    const again = podStatus({
      ...input,
      pod: { ...pod, status: { conditions: [{ type: "Ready", status: "True" }] } } as V1Pod,
      containers: [running("a")],
    });
    expect(again.conditions.find((c) => c.type === "Ready")).not.toHaveProperty("reason");
  });

  it("marks finished pods PodCompleted", () => {
    const s = podStatus({
      pod,
      hostIP: "h",
      startTime: "t",
      sandboxReady: true,
      init: [],
      containers: [exited("a", 0)],
    });
    expect(s.phase).toBe("Running"); // restartPolicy Always: it will be restarted
    const job = { ...pod, spec: { containers: [], restartPolicy: "Never" } };
    const done = podStatus({
      pod: job,
      hostIP: "h",
      startTime: "t",
      sandboxReady: true,
      init: [],
      containers: [exited("a", 0)],
    });
    expect(done.phase).toBe("Succeeded");
    expect(done.conditions.find((c) => c.type === "Ready")?.reason).toBe("PodCompleted");
  });
});

describe("volumes and mounts", () => {
  const pod: V1Pod = {
    metadata: { name: "p", namespace: "ns", labels: { b: "2", a: "1" } },
    spec: { containers: [{ name: "c" }] },
  };
  const net = { podIP: "127.0.0.9", hostIP: "127.0.0.1" };
  const node = { cpu: "4", memory: "1Gi" };
  const objects = {
    configMap: (n: string) => (n === "cfg" ? { "a.yaml": Buffer.from("x: 1"), other: Buffer.from("y") } : undefined),
    secret: () => undefined,
  };

  it("writes configMap keys, selected items and downward API files", () => {
    expect(volumeFiles(pod, { name: "v", configMap: { name: "cfg" } }, objects, net, node).map((f) => f.path)).toEqual([
      "a.yaml",
      "other",
    ]);
    const items = volumeFiles(
      pod,
      { name: "v", configMap: { name: "cfg", items: [{ key: "a.yaml", path: "conf/app.yaml" }] } },
      objects,
      net,
      node,
    );
    expect(items).toEqual([{ path: "conf/app.yaml", mode: 0o644, content: Buffer.from("x: 1") }]);
    const down = volumeFiles(
      pod,
      { name: "d", downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
      objects,
      net,
      node,
    );
    expect(down[0] && "content" in down[0] ? down[0].content.toString() : "").toBe('a="1"\nb="2"');
  });

  it("asks for tokens in projected volumes and fails on missing sources", () => {
    const files = volumeFiles(
      pod,
      {
        name: "t",
        projected: { sources: [{ serviceAccountToken: { audience: "vault", expirationSeconds: 600, path: "token" } }] },
      },
      objects,
      net,
      node,
    );
    expect(files).toEqual([{ path: "token", mode: 0o644, token: { audience: "vault", expirationSeconds: 600 } }]);
    expect(() => volumeFiles(pod, { name: "s", secret: { secretName: "nope" } }, objects, net, node)).toThrow(
      MountError,
    );
    expect(volumeFiles(pod, { name: "s", secret: { secretName: "nope", optional: true } }, objects, net, node)).toEqual(
      [],
    );
  });

  it("links mount paths inside the container root, never outside it", () => {
    const links = mountLinks(
      "/root/c",
      [{ name: "data", mountPath: "/data", subPath: "run1" }],
      new Map([["data", "/vol/pvc-1"]]),
    );
    expect(links).toEqual([{ link: "/root/c/data", target: "/vol/pvc-1/run1", mountPath: "/data" }]);
    expect(inRoot("/root/c", "/../../etc/passwd")).toBe("/root/c/etc/passwd");
    expect(() => mountLinks("/r", [{ name: "x", mountPath: "/x" }], new Map())).toThrow('volume "x" is not defined');
  });
});

describe("probes and provisioning", () => {
  it("flips a probe verdict only after the thresholds", () => {
    const c = new ProbeCounter(2, 3, false);
    expect(c.record(true)).toBeUndefined();
    expect(c.record(true)).toBe(true);
    expect(c.record(false)).toBeUndefined();
    expect(c.record(false)).toBeUndefined();
    expect(c.record(false)).toBe(false);
    expect(resolvePort("http", { name: "c", ports: [{ name: "http", containerPort: 8080 }] })).toBe(8080);
    expect(resolvePort("9000", { name: "c" })).toBe(9000);
  });

  it("provisions a folder-backed PV for a pending claim of the local class", () => {
    const pvc = {
      metadata: { name: "data", namespace: "ns", uid: "abc" },
      spec: { storageClassName: "local", resources: { requests: { storage: "2Gi" } } },
      status: { phase: "Pending" },
    };
    expect(wantsVolume(pvc)).toBe(true);
    expect(wantsVolume({ ...pvc, spec: { ...pvc.spec, volumeName: "x" } })).toBe(false);
    expect(wantsVolume({ ...pvc, spec: { ...pvc.spec, storageClassName: "other" } })).toBe(false);
    const pv = volumeFor(pvc, "/state/volumes");
    expect(pv.spec?.hostPath?.path).toBe("/state/volumes/pvc-abc");
    expect(pv.spec?.claimRef).toMatchObject({ name: "data", namespace: "ns", uid: "abc" });
    expect(pv.spec?.capacity).toEqual({ storage: "2Gi" });
  });
});
