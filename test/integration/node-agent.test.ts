// The node agent end to end: real API server, controller-manager and scheduler; pods run as local processes.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AppsV1Api,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { mergePatch } from "../../devcluster/node-agent/kube.js";
import { memoryRoot, podDir, SHM } from "../../devcluster/node-agent/layout.js";
import { readyEndpoints, serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { kubeConfig, testNamespace } from "../support/kube.js";
import { pollUntil } from "../support/poll.js";
import {
  box,
  containerPid,
  containerState,
  createPod,
  isReady,
  processAlive,
  TESTBOX,
  waitPod,
} from "./node-agent-helpers.js";

let kc: KubeConfig;
let ns: { name: string; delete(): Promise<void> };
let core: CoreV1Api;

beforeAll(async () => {
  kc = kubeConfig(inject("kubeconfig"));
  core = kc.makeApiClient(CoreV1Api);
  ns = await testNamespace(kc, "node-agent");
});
afterAll(async () => {
  await ns?.delete();
});

describe("node agent", () => {
  it("registers a GPU node and a CPU node that are Ready with fresh leases", async () => {
    const gpu = await core.readNode({ name: "gpu-node-1" });
    expect(gpu.status?.allocatable?.["nvidia.com/gpu"]).toBe("2");
    expect(gpu.metadata?.labels?.["nvidia.com/gpu.present"]).toBe("true");
    expect(gpu.spec?.taints).toContainEqual({ key: "nvidia.com/gpu", value: "present", effect: "NoSchedule" });
    const cpu = await core.readNode({ name: "cpu-node-1" });
    expect(cpu.status?.allocatable?.["nvidia.com/gpu"]).toBeUndefined();
    for (const node of [gpu, cpu]) {
      expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    }
    const lease = await kc
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: "gpu-node-1", namespace: "kube-node-lease" });
    expect(Date.now() - new Date(lease.spec?.renewTime ?? 0).getTime()).toBeLessThan(30_000);
  });

  it("runs a Deployment that scales 1 → 3, each pod Ready on its own IP, listed in the EndpointSlice (netns mode)", async () => {
    const agentPort = clusterConfig(inject("clusterName")).ports.nodeAgent;
    const status = (await (await fetch(`http://127.0.0.1:${agentPort}/status`)).json()) as {
      network: { mode: "netns" | "loopback"; gateway?: string; reason?: string };
    };
    const apps = kc.makeApiClient(AppsV1Api);
    const labels = { app: "web" };
    await apps.createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: "web" },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                box("web", ["serve"], {
                  ports: [{ name: "http", containerPort: 8080 }],
                  readinessProbe: { httpGet: { path: "/readyz", port: "http" }, periodSeconds: 1 },
                }),
              ],
            },
          },
        },
      },
    });
    await core.createNamespacedService({
      namespace: ns.name,
      body: {
        metadata: { name: "web" },
        spec: { selector: labels, ports: [{ name: "http", port: 80, targetPort: "http" }] },
      },
    });
    const first = await serviceEndpoint(kc, ns.name, "web", { port: "http", timeoutMs: 30_000 });
    const res = (await (await fetch(`${first.url}/`)).json()) as { hostname: string; ip: string };
    expect(res.ip).toBe(first.ip);
    expect(res.hostname).toBe(first.pod);

    await apps.patchNamespacedDeploymentScale(
      { name: "web", namespace: ns.name, body: { spec: { replicas: 3 } } },
      mergePatch,
    );
    const ips = await pollUntil(
      "3 ready endpoints",
      async () => {
        const eps = await readyEndpoints(kc, ns.name, "web", "http");
        return eps.length === 3 ? eps.map((e) => e.ip) : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 250 },
    );
    expect(new Set(ips).size).toBe(3);
    if (status.network.mode === "netns") {
      // Each pod in its own network namespace with an address the API server accepts in EndpointSlices.
      const prefix = status.network.gateway?.split(".").slice(0, 2).join(".");
      for (const ip of ips) expect(ip.startsWith(`${prefix}.`)).toBe(true);
      const sliced = await pollUntil(
        "EndpointSlice lists the 3 ready pods",
        async () => {
          const slices = await kc
            .makeApiClient(DiscoveryV1Api)
            .listNamespacedEndpointSlice({ namespace: ns.name, labelSelector: "kubernetes.io/service-name=web" });
          const ready = slices.items.flatMap((sl) =>
            (sl.endpoints ?? []).filter((e) => e.conditions?.ready).flatMap((e) => e.addresses),
          );
          return ready.length === 3 ? ready : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      expect([...sliced].sort()).toEqual([...ips].sort());
    } else {
      console.warn(`node agent in loopback fallback (${status.network.reason}): EndpointSlices stay empty`);
      for (const ip of ips) expect(ip).toMatch(/^127\.\d+\.\d+\.\d+$/);
    }
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: "app=web" });
    expect(pods.items).toHaveLength(3);
    for (const p of pods.items) {
      expect(p.spec?.nodeName).toBe("cpu-node-1"); // the GPU node's taint keeps them off it
      expect(isReady(p)).toBe(true);
      expect(ips).toContain(p.status?.podIP);
      // Every pod answers on its own address, the same port.
      const body = (await (await fetch(`http://${p.status?.podIP}:8080/`)).json()) as { hostname: string };
      expect(body.hostname).toBe(p.metadata?.name);
    }
  });

  it("places GPU pods on the GPU node and leaves one beyond capacity Pending as Unschedulable", async () => {
    const gpuPod = (name: string) =>
      createPod(kc, ns.name, name, {
        containers: [box("train", ["sleep", "600"], { resources: { limits: { "nvidia.com/gpu": "1" } } })],
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
        terminationGracePeriodSeconds: 1,
      });
    await gpuPod("gpu-a");
    await gpuPod("gpu-b");
    for (const name of ["gpu-a", "gpu-b"]) {
      const pod = await waitPod(kc, ns.name, name, "Running", (p) => p.status?.phase === "Running" && p);
      expect(pod.spec?.nodeName).toBe("gpu-node-1");
    }
    await gpuPod("gpu-c");
    const cond = await waitPod(kc, ns.name, "gpu-c", "PodScheduled=False", (p) =>
      p.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False"),
    );
    expect(cond.reason).toBe("Unschedulable");
    expect(cond.message).toContain("nvidia.com/gpu");
    const c = await core.readNamespacedPod({ name: "gpu-c", namespace: ns.name });
    expect(c.status?.phase).toBe("Pending");
    expect(c.spec?.nodeName).toBeUndefined();
    for (const name of ["gpu-a", "gpu-b", "gpu-c"]) await core.deleteNamespacedPod({ name, namespace: ns.name });
  });

  it("completes a Job with exit code 0 and its termination message", async () => {
    const batch = kc.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: "hello" },
        spec: {
          backoffLimit: 0,
          template: { spec: { restartPolicy: "Never", containers: [box("job", ["exit", "0", "trained 3 epochs"])] } },
        },
      },
    });
    await pollUntil(
      "Job Complete",
      async () => {
        const job = await batch.readNamespacedJob({ name: "hello", namespace: ns.name });
        return job.status?.conditions?.some((c) => c.type === "Complete" && c.status === "True");
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const pods = await core.listNamespacedPod({ namespace: ns.name, labelSelector: "job-name=hello" });
    const pod = pods.items[0];
    expect(pod?.status?.phase).toBe("Succeeded");
    const t = pod && containerState(pod)?.state?.terminated;
    expect(t?.exitCode).toBe(0);
    expect(t?.reason).toBe("Completed");
    expect(t?.message).toBe("trained 3 epochs");
    // `kubectl logs` goes through the API server to the agent's kubelet endpoint.
    const log = await core.readNamespacedPodLog({ name: pod?.metadata?.name ?? "", namespace: ns.name });
    expect(log).toContain("testbox: exiting with 0");
  });

  it("fails a restartPolicy Never pod with the exit code, reason and message", async () => {
    await createPod(kc, ns.name, "fails", {
      restartPolicy: "Never",
      containers: [box("main", ["exit", "7", "bad data"])],
    });
    const pod = await waitPod(kc, ns.name, "fails", "Failed", (p) => p.status?.phase === "Failed" && p);
    const t = containerState(pod)?.state?.terminated;
    expect(t).toMatchObject({ exitCode: 7, reason: "Error", message: "bad data" });
  });

  it("restarts a crashing container with back-off, counting restarts", async () => {
    await createPod(kc, ns.name, "crasher", { containers: [box("main", ["exit", "3", "boom"])] });
    const s = await waitPod(
      kc,
      ns.name,
      "crasher",
      "CrashLoopBackOff",
      (p) => {
        const c = containerState(p);
        return c?.state?.waiting?.reason === "CrashLoopBackOff" && c;
      },
      40_000,
    );
    expect(s.restartCount).toBeGreaterThanOrEqual(1);
    expect(s.state?.waiting?.message).toMatch(/^back-off \d+s restarting failed container=main pod=crasher_/);
    expect(s.lastState?.terminated).toMatchObject({ exitCode: 3, reason: "Error", message: "boom" });
    const pod = await core.readNamespacedPod({ name: "crasher", namespace: ns.name });
    expect(pod.status?.phase).toBe("Running");
    expect(isReady(pod)).toBe(false);
  });

  it("runs init containers first, sharing an emptyDir with the main container", async () => {
    await createPod(kc, ns.name, "init", {
      restartPolicy: "Never",
      volumes: [{ name: "work", emptyDir: {} }],
      initContainers: [
        box("fetch", ["write", "/work/model.txt", "weights-v1"], {
          volumeMounts: [{ name: "work", mountPath: "/work" }],
        }),
      ],
      containers: [box("main", ["read", "/work/model.txt"], { volumeMounts: [{ name: "work", mountPath: "/work" }] })],
    });
    const pod = await waitPod(kc, ns.name, "init", "Succeeded", (p) => p.status?.phase === "Succeeded" && p);
    expect(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    expect(containerState(pod)?.state?.terminated?.message).toBe("weights-v1");
  });

  it("keeps a medium: Memory emptyDir on the host's tmpfs, never in the pod folder, and removes it with the pod", async () => {
    const mount = [{ name: "plain", mountPath: "/plain" }];
    await createPod(kc, ns.name, "memory", {
      volumes: [{ name: "plain", emptyDir: { medium: "Memory" } }],
      initContainers: [box("fetch", ["write", "/plain/secret.txt", "plaintext"], { volumeMounts: mount })],
      containers: [box("main", ["sleep", "600"], { volumeMounts: mount })],
    });
    await waitPod(kc, ns.name, "memory", "Running", (p) => p.status?.phase === "Running" && p);
    const dir = podDir(join(clusterConfig(inject("clusterName")).stateDir, "pods"), ns.name, "memory");
    const root = memoryRoot(dir);
    expect(root.startsWith(`${SHM}/`)).toBe(true);
    expect(readFileSync(join(root, "plain", "secret.txt"), "utf8")).toBe("plaintext");
    expect(existsSync(join(dir, "volumes", "plain"))).toBe(false);
    await core.deleteNamespacedPod({ name: "memory", namespace: ns.name, gracePeriodSeconds: 0 });
    await pollUntil("memory folder removed", async () => !existsSync(root), { timeoutMs: 20_000, intervalMs: 100 });
  });

  it("runs a native sidecar beside the containers and stops it when a Job pod's container is done", async () => {
    await createPod(kc, ns.name, "sidecar", {
      restartPolicy: "Never",
      initContainers: [box("proxy", ["serve"], { restartPolicy: "Always", env: [{ name: "PORT", value: "9090" }] })],
      containers: [box("main", ["exit", "0", "done"])],
    });
    const pod = await waitPod(kc, ns.name, "sidecar", "Succeeded", (p) => p.status?.phase === "Succeeded" && p);
    expect(containerState(pod)?.state?.terminated?.message).toBe("done");
    const proxy = pod.status?.initContainerStatuses?.[0];
    expect(proxy?.state?.terminated).toBeDefined();
    expect(proxy?.restartCount).toBe(0);
  });

  it("stops a deleted pod's process within its grace period, then releases the pod", async () => {
    await createPod(kc, ns.name, "stubborn", {
      terminationGracePeriodSeconds: 2,
      containers: [box("main", ["stubborn"])],
    });
    const running = await waitPod(kc, ns.name, "stubborn", "Running", (p) => p.status?.phase === "Running" && p);
    const pid = containerPid(running);
    expect(processAlive(pid)).toBe(true);
    // Running means started, not yet ignoring SIGTERM: a delete before the handler is installed would kill it at once.
    await pollUntil(
      "SIGTERM handler installed",
      async () =>
        (await core.readNamespacedPodLog({ name: "stubborn", namespace: ns.name })).includes(
          "ignoring SIGTERM from now",
        ),
      { timeoutMs: 20_000, intervalMs: 50 },
    );
    const deletedAt = Date.now();
    await core.deleteNamespacedPod({ name: "stubborn", namespace: ns.name });
    // It ignores SIGTERM, so only the SIGKILL after the 2 s grace period ends it: that it goes at all proves the
    // kill (no upper time bound: on a loaded machine the agent's next sweep may come late), and not before the grace.
    await pollUntil("process gone", async () => !processAlive(pid), { timeoutMs: 20_000, intervalMs: 50 });
    expect(Date.now() - deletedAt).toBeGreaterThanOrEqual(1500);
    await pollUntil(
      "pod object released",
      async () =>
        (await core.listNamespacedPod({ namespace: ns.name, fieldSelector: "metadata.name=stubborn" })).items.length ===
        0,
      { timeoutMs: 10_000 },
    );
  });

  it("shares data between pods through a PVC bound to a folder by the local provisioner", async () => {
    await core.createNamespacedPersistentVolumeClaim({
      namespace: ns.name,
      body: {
        metadata: { name: "data" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    });
    const pvc = await pollUntil(
      "PVC Bound",
      async () => {
        const c = await core.readNamespacedPersistentVolumeClaim({ name: "data", namespace: ns.name });
        return c.status?.phase === "Bound" && c;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(pvc.spec?.storageClassName).toBe("local");
    const volume = [{ name: "data", persistentVolumeClaim: { claimName: "data" } }];
    const mount = [{ name: "data", mountPath: "/data" }];
    await createPod(kc, ns.name, "writer", {
      restartPolicy: "Never",
      volumes: volume,
      containers: [box("main", ["write", "/data/out/result.txt", "accuracy=0.93"], { volumeMounts: mount })],
    });
    await waitPod(kc, ns.name, "writer", "Succeeded", (p) => p.status?.phase === "Succeeded");
    await createPod(kc, ns.name, "reader", {
      restartPolicy: "Never",
      volumes: volume,
      containers: [box("main", ["read", "/data/out/result.txt"], { volumeMounts: mount })],
    });
    const reader = await waitPod(kc, ns.name, "reader", "Succeeded", (p) => p.status?.phase === "Succeeded" && p);
    expect(containerState(reader)?.state?.terminated?.message).toBe("accuracy=0.93");
  });

  it("reports readiness and liveness probe results truthfully", async () => {
    await createPod(kc, ns.name, "probes", {
      terminationGracePeriodSeconds: 1,
      containers: [
        box("unready", ["serve"], {
          env: [{ name: "PORT", value: "8080" }],
          readinessProbe: { httpGet: { path: "/readyz", port: 9999 }, periodSeconds: 1, failureThreshold: 1 },
        }),
        box("unlive", ["serve"], {
          env: [{ name: "PORT", value: "8081" }],
          livenessProbe: { tcpSocket: { port: 9998 }, periodSeconds: 1, failureThreshold: 2 },
        }),
      ],
    });
    const pod = await waitPod(
      kc,
      ns.name,
      "probes",
      "liveness restart",
      (p) => (containerState(p, "unlive")?.restartCount ?? 0) >= 1 && p,
      40_000,
    );
    const unready = containerState(pod, "unready");
    expect(unready?.state?.running).toBeDefined();
    expect(unready?.ready).toBe(false);
    expect(isReady(pod)).toBe(false);
    expect(pod.status?.conditions?.find((c) => c.type === "ContainersReady")?.message).toContain("unready");
    // Killed by SIGTERM after the failed liveness probe.
    expect(containerState(pod, "unlive")?.lastState?.terminated).toBeDefined();
  });

  it("runs the pod image the agent maps, rejecting an unknown one as ErrImagePull", async () => {
    await createPod(kc, ns.name, "noimage", { containers: [{ name: "main", image: "example.com/nope:1.0" }] });
    // ContainerCreating comes first; wait for the pull's verdict.
    const waiting = await waitPod(kc, ns.name, "noimage", "ErrImagePull", (p) => {
      const w = containerState(p)?.state?.waiting;
      return w?.reason === "ErrImagePull" && w;
    });
    expect(waiting.reason).toBe("ErrImagePull");
    expect(waiting.message).toContain('"example.com/nope:1.0"');
    expect(TESTBOX).toContain("liftoff-testbox");
  });
});
