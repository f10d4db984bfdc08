// The pod worker end to end against fake API and network objects: real processes, real folders, no cluster.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import type { NodeShape } from "./config.js";
import type { EventRecorder } from "./events.js";
import { IpPool } from "./ipam.js";
import type { Kube } from "./kube.js";
import { logFile, podDir } from "./layout.js";
import type { PodNetwork } from "./netns.js";
import { PodWorker, type WorkerDeps } from "./pod-worker.js";
import type { podStatus } from "./status.js";

type PodStatusBody = ReturnType<typeof podStatus>;

const NODE: NodeShape = {
  name: "cpu-node-1",
  gpus: 0,
  cpu: "4",
  memory: "16Gi",
  pods: 110,
  address: "127.80.2.1",
  podCIDR: "127.80.2.0/24",
};

const dirs: string[] = [];
const workers: PodWorker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.kill()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Fakes {
  deps: WorkerDeps;
  /** Every status written, in order. */
  statuses: PodStatusBody[];
  deleted: Array<{ name: string; uid?: string | undefined }>;
  events: string[];
  network: string[];
}

function fakes(): Fakes {
  const podsDir = mkdtempSync(join(tmpdir(), "pod-worker-"));
  dirs.push(podsDir);
  const f: Fakes = { statuses: [], deleted: [], events: [], network: [], deps: undefined as unknown as WorkerDeps };
  const kube = {
    server: "https://127.0.0.1:6443",
    core: {
      patchNamespacedPodStatus: async (req: { body: { status: PodStatusBody } }) => {
        f.statuses.push(structuredClone(req.body.status));
        return {};
      },
      deleteNamespacedPod: async (req: { name: string; body: { preconditions?: { uid?: string } } }) => {
        f.deleted.push({ name: req.name, uid: req.body.preconditions?.uid });
        return {};
      },
      readNamespacedConfigMap: async () => {
        throw Object.assign(new Error("not found"), { code: 404, body: { message: "not found" } });
      },
    },
  } as unknown as Kube;
  const network: PodNetwork = {
    mode: "loopback",
    podPrefix: "127.80",
    attach: async (uid, ip) => void f.network.push(`attach ${uid} ${ip}`),
    detach: async (uid) => void f.network.push(`detach ${uid}`),
    wrap: (_uid, argv) => argv,
    destroy: async () => undefined,
  };
  const events = {
    record: (_pod: V1Pod, _node: string, type: string, reason: string, message: string, fieldPath?: string) =>
      f.events.push(`${type} ${reason}${fieldPath ? ` ${fieldPath}` : ""}: ${message}`),
  } as unknown as EventRecorder;
  f.deps = {
    kube,
    node: NODE,
    pool: IpPool.fromCIDR(NODE.podCIDR),
    network,
    events,
    images: [{ pattern: "shell", entrypoint: ["/bin/sh", "-c"], cmd: ["exit 0"], paths: {} }],
    podsDir,
    stateDir: join(podsDir, "state"),
    apiserverHost: "127.0.0.1",
    apiserverPort: "6443",
    log: () => {},
  };
  return f;
}

const shell = (name: string, script: string, extra: Partial<V1Container> = {}): V1Container => ({
  name,
  image: "shell",
  args: [script],
  ...extra,
});

function pod(spec: Partial<V1Pod["spec"]>, metadata: V1Pod["metadata"] = {}): V1Pod {
  return {
    metadata: { name: "p", namespace: "ns", uid: "u-1", ...metadata },
    spec: { containers: [], nodeName: NODE.name, ...spec },
  };
}

function startWorker(f: Fakes, p: V1Pod): PodWorker {
  const w = new PodWorker(f.deps, p);
  workers.push(w);
  w.start();
  return w;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const last = (f: Fakes) => f.statuses.at(-1);

describe("PodWorker", () => {
  it("runs init containers, then the containers, to a Succeeded Job pod, and frees its address", async () => {
    const f = fakes();
    const w = startWorker(
      f,
      pod({
        restartPolicy: "Never",
        initContainers: [
          shell("fetch", 'printf weights > "$LIFTOFF_PATH_PREFIX/data/w"', {
            volumeMounts: [{ name: "d", mountPath: "/data" }],
          }),
        ],
        containers: [
          shell("train", 'cat "$LIFTOFF_PATH_PREFIX/data/w" > "$LIFTOFF_PATH_PREFIX/dev/termination-log"', {
            volumeMounts: [{ name: "d", mountPath: "/data" }],
          }),
        ],
        volumes: [{ name: "d", emptyDir: {} }],
      }),
    );
    await until(() => w.isFinished, "the pod to finish");
    await until(() => last(f)?.phase === "Succeeded", "a Succeeded status");
    expect(last(f)?.podIP).toBe("127.80.2.2");
    expect(last(f)).toMatchObject({
      initContainerStatuses: [{ name: "fetch", state: { terminated: { exitCode: 0 } } }],
      containerStatuses: [{ name: "train", state: { terminated: { exitCode: 0, message: "weights" } } }],
    });
    expect(f.network).toEqual(["attach u-1 127.80.2.2", "detach u-1"]);
    expect(f.deps.pool.size).toBe(0);
    expect(f.events.filter((e) => e.startsWith("Normal Started"))).toEqual([
      "Normal Started spec.initContainers{fetch}: Started container fetch",
      "Normal Started spec.containers{train}: Started container train",
    ]);
  });

  it("fails a Never pod whose init container fails, without running the containers", async () => {
    const f = fakes();
    const w = startWorker(
      f,
      pod({
        restartPolicy: "Never",
        initContainers: [shell("check", "exit 2")],
        containers: [shell("main", "exit 0")],
      }),
    );
    await until(() => w.isFinished, "the pod to finish");
    await until(() => last(f)?.phase === "Failed", "a Failed status");
    expect(last(f)).toMatchObject({
      containerStatuses: [{ name: "main", state: { waiting: { reason: "PodInitializing" } } }],
    });
  });

  it("keeps the address an earlier agent gave the pod", async () => {
    const f = fakes();
    const p = {
      ...pod({ restartPolicy: "Never", containers: [shell("main", "exit 0")] }),
      status: { podIP: "127.80.2.9" },
    };
    const w = startWorker(f, p);
    await until(() => w.isFinished, "the pod to finish");
    await until(() => last(f)?.phase === "Succeeded", "a Succeeded status");
    expect(last(f)?.podIP).toBe("127.80.2.9");
  });

  it("stops a deleted pod's containers within the grace period, writes the final status, then releases the pod", async () => {
    const f = fakes();
    const p = pod({ containers: [shell("main", "exec sleep 30")] });
    const w = startWorker(f, p);
    await until(() => last(f)?.phase === "Running", "a Running status");
    const dir = podDir(f.deps.podsDir, "ns", "p");
    expect(existsSync(join(dir, ".uid"))).toBe(true);
    w.update({
      ...p,
      metadata: { ...p.metadata, deletionTimestamp: new Date(), deletionGracePeriodSeconds: 5 },
    });
    await until(() => f.deleted.length > 0, "the pod's release");
    expect(f.deleted).toEqual([{ name: "p", uid: "u-1" }]);
    expect(last(f)).toMatchObject({ containerStatuses: [{ state: { terminated: { exitCode: 143 } } }] });
    expect(f.events).toContain("Normal Killing spec.containers{main}: Stopping container main");
    // Folders go with the pod; the log stays.
    expect(existsSync(join(dir, ".uid"))).toBe(false);
    expect(existsSync(logFile(dir, "main"))).toBe(true);
    expect(f.deps.pool.size).toBe(0);
    expect(w.isFinished).toBe(true);
  });

  it("shows a volume that cannot be made as FailedMount and ContainerCreating until the pod goes", async () => {
    const f = fakes();
    const w = startWorker(
      f,
      pod({ containers: [shell("main", "exit 0")], volumes: [{ name: "cfg", configMap: { name: "settings" } }] }),
    );
    await until(() => f.events.some((e) => e.startsWith("Warning FailedMount")), "a FailedMount event");
    await until(() => {
      const state = last(f)?.containerStatuses[0]?.state;
      return state !== undefined && "waiting" in state && state.waiting.message !== undefined;
    }, "a ContainerCreating status with the mount failure");
    expect(last(f)?.containerStatuses[0]?.state).toEqual({
      waiting: {
        reason: "ContainerCreating",
        message: 'MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found',
      },
    });
    expect(last(f)?.phase).toBe("Pending");
    await w.kill();
    expect(f.deps.pool.size).toBe(0);
    // The container never ran.
    expect(existsSync(logFile(podDir(f.deps.podsDir, "ns", "p"), "main"))).toBe(false);
  });
});
