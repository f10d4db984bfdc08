// A pytorch TrainingJob's worker group (pure parts): the plan from its pods, the gang check, the worker pods, and the
// Job view its status is computed from.
import { describe, expect, it } from "vitest";
import type { DataSet, TrainingJob, TrainingJobSpec } from "../../api/v1alpha1/index.js";
import { FakeCache } from "../../controller/fake-cache.js";
import type { Node, Pod } from "../../kube/models.js";
import { RESOURCES } from "../../kube/resources.js";
import { Reason } from "../../reasons.js";
import { type DataVersion, dataVersionOf, desiredObjects, podDataVersion } from "../desired.js";
import { CONTAINER, LABEL_ATTEMPT, LABEL_TJ, LABEL_WORKER } from "../names.js";
import { TrainingJobReconciler } from "../reconciler.js";
import { computeStatus } from "../status.js";
import { gangFit } from "./gang.js";
import { groupView, planGroup } from "./group.js";
import { groupOutcome, jobViewOf } from "./job-view.js";
import { masterPort, SCRIPT_DIR, workerPod } from "./worker-pod.js";
import { workersStatus } from "./workers-status.js";

const HEX = "a".repeat(64);
const FILE_HEX = "c".repeat(64);
const NOW = new Date("2026-01-01T00:10:00Z");
const images = { cpu: "ghcr.io/liftoff-dev/liftoff-pytorch:1", gpu: "ghcr.io/liftoff-dev/liftoff-pytorch-cuda:1" };

function tj(spec: Partial<TrainingJobSpec> = {}, status?: TrainingJob["status"]): TrainingJob {
  return {
    metadata: { name: "penguins-ddp", namespace: "ml", uid: "u-1", generation: 1 },
    spec: {
      dataSetRef: { name: "penguins" },
      task: "multiclass",
      pytorch: {
        script: { configMap: { name: "penguins-ddp", key: "train.py" } },
        args: ["--hidden", "16"],
        workers: 2,
        procsPerWorker: 1,
      },
      hyperparameters: { optimizer: "adam", learningRate: 0.01, epochs: 5, batchSize: 32, seed: 0 },
      ...spec,
    } as TrainingJobSpec,
    ...(status ? { status } : {}),
  };
}

const dataSet: DataSet = {
  metadata: { name: "penguins", namespace: "ml" },
  spec: {
    output: { claimName: "data", path: "datasets/penguins" },
    encryption: { transitKey: "k" },
  } as DataSet["spec"],
  status: { digest: `sha256:${HEX}`, conditions: [] },
};
const data = dataVersionOf(dataSet) as DataVersion;
const ctx = { runtimeImage: "ghcr.io/liftoff-dev/liftoff-runtime:1", data, images };

type WorkerShape = {
  attempt?: number;
  phase?: string;
  exitCode?: number;
  ip?: string;
  deleting?: boolean;
  unschedulable?: boolean;
  message?: string;
};

function worker(index: number, w: WorkerShape = {}): Pod {
  const attempt = w.attempt ?? 0;
  return {
    metadata: {
      name: `penguins-ddp-g${attempt}-w${index}`,
      namespace: "ml",
      creationTimestamp: `2026-01-01T00:0${attempt}:0${index}Z`,
      labels: { [LABEL_WORKER]: String(index), [LABEL_ATTEMPT]: String(attempt) },
      ...(w.deleting ? { deletionTimestamp: "2026-01-01T00:09:00Z" } : {}),
    },
    spec: { containers: [{ name: CONTAINER }] },
    status: {
      phase: w.phase ?? "Running",
      ...(w.ip ? { podIP: w.ip } : {}),
      ...(w.unschedulable
        ? {
            conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/1 nodes: cpu" }],
          }
        : {}),
      containerStatuses:
        w.exitCode !== undefined
          ? [
              {
                name: CONTAINER,
                ready: false,
                restartCount: 0,
                image: "",
                imageID: "",
                state: {
                  terminated: {
                    exitCode: w.exitCode,
                    finishedAt: "2026-01-01T00:09:30Z",
                    ...(w.message ? { message: w.message } : {}),
                  },
                },
              },
            ]
          : [],
    },
  } as Pod;
}

describe("planGroup", () => {
  it("starts attempt 0 with worker 0 alone, then the others with worker 0's address once it runs", () => {
    expect(planGroup(tj(), groupView([]), NOW)).toEqual({ action: "start", attempt: 0, delete: [] });
    expect(planGroup(tj(), groupView([worker(0, { phase: "Pending" })]), NOW)).toEqual({ action: "wait" });
    expect(planGroup(tj(), groupView([worker(0, { ip: "10.1.0.5" })]), NOW)).toEqual({
      action: "create",
      attempt: 0,
      indices: [1],
      masterAddress: "10.1.0.5",
    });
    expect(planGroup(tj(), groupView([worker(0, { ip: "10.1.0.5" }), worker(1)]), NOW)).toEqual({ action: "wait" });
  });

  it("restarts the whole group as the next attempt when a worker dies, deleting the live ones", () => {
    const view = groupView([worker(0, { ip: "10.1.0.5" }), worker(1, { phase: "Failed", exitCode: 137 })]);
    const plan = planGroup(tj(), view, NOW);
    expect(plan.action).toBe("start");
    if (plan.action !== "start") return;
    expect(plan.attempt).toBe(1);
    expect(plan.delete.map((w) => w.name)).toEqual(["penguins-ddp-g0-w0"]);
    expect(plan.why).toContain("worker 1 (pod penguins-ddp-g0-w1) exited with code 137");
  });

  it("does not count the pods it deleted itself as failures, and restarts after a worker deleted outright", () => {
    // The old attempt's worker 0 being deleted and the new attempt's worker 0 running: nothing failed.
    const view = groupView([
      worker(0, { phase: "Failed", exitCode: 1, deleting: true }),
      worker(1, { phase: "Failed", exitCode: 137 }),
      worker(0, { attempt: 1, ip: "10.1.0.9" }),
    ]);
    expect(view.failedAttempts).toBe(1);
    expect(planGroup(tj(), view, NOW)).toMatchObject({ action: "create", attempt: 1, masterAddress: "10.1.0.9" });
    // Worker 0 of a running pair vanished (force-deleted): worker 1 alone is a lost group.
    const gone = planGroup(tj(), groupView([worker(1, { ip: "10.1.0.6" })]), NOW);
    expect(gone).toMatchObject({ action: "start", attempt: 1, why: "worker 0 was deleted" });
  });

  it("fails at once on the script's own error (exit 2) and after backoffLimit failed attempts", () => {
    const fatal = planGroup(tj(), groupView([worker(0, { exitCode: 2, phase: "Failed" }), worker(1)]), NOW);
    expect(fatal).toMatchObject({ action: "fail", jobReason: "PodFailurePolicy" });
    const pods = [0, 1, 2].flatMap((a) => [worker(1, { attempt: a, exitCode: 137, phase: "Failed" })]);
    const spent = planGroup(tj({ runPolicy: { backoffLimit: 2, suspend: false } }), groupView(pods), NOW);
    expect(spent).toMatchObject({ action: "fail", jobReason: "BackoffLimitExceeded" });
    const left = planGroup(tj({ runPolicy: { backoffLimit: 3, suspend: false } }), groupView(pods), NOW);
    expect(left).toMatchObject({ action: "start", attempt: 3 });
  });

  it("removes a half-scheduled group instead of leaving its workers waiting", () => {
    const plan = planGroup(tj(), groupView([worker(0, { ip: "10.1.0.5" }), worker(1, { unschedulable: true })]), NOW);
    expect(plan.action).toBe("unschedulable");
    if (plan.action !== "unschedulable") return;
    expect(plan.delete).toHaveLength(2);
    expect(plan.message).toContain("worker 1 cannot be scheduled (0/1 nodes: cpu)");
  });

  it("completes on worker 0's success, suspends by deleting, and fails past the deadline", () => {
    const ok = planGroup(tj(), groupView([worker(0, { exitCode: 0, phase: "Succeeded" }), worker(1)]), NOW);
    expect(ok).toMatchObject({ action: "complete" });
    const live = groupView([worker(0, { ip: "10.1.0.5" }), worker(1)]);
    expect(planGroup(tj({ runPolicy: { backoffLimit: 3, suspend: true } }), live, NOW)).toMatchObject({
      action: "suspend",
    });
    const late = planGroup(
      tj({ runPolicy: { backoffLimit: 3, suspend: false, activeDeadlineSeconds: 60 } }),
      live,
      NOW,
    );
    expect(late).toMatchObject({ action: "fail", jobReason: "DeadlineExceeded" });
    // Resumed after a suspension whose pods are gone: a new attempt number, never a reused pod name.
    expect(planGroup(tj(), groupView([]), NOW, 4)).toMatchObject({ action: "start", attempt: 5 });
  });
});

const node = (name: string, cpu: string, memory: string, extra: Partial<Node> = {}): Node =>
  ({
    metadata: { name, labels: { pool: "train" } },
    spec: {},
    status: { allocatable: { cpu, memory }, conditions: [{ type: "Ready", status: "True" }] },
    ...extra,
  }) as Node;

const bound = (nodeName: string, cpu: string, phase = "Running"): Pod =>
  ({
    metadata: { name: `p-${nodeName}-${cpu}` },
    spec: { nodeName, containers: [{ name: "c", resources: { requests: { cpu, memory: "1Gi" } } }] },
    status: { phase },
  }) as Pod;

describe("gangFit", () => {
  const want = { cpu: 1, memory: 2 * 2 ** 30, gpu: 0 };
  it("adds up each node's room after the requests of its unfinished pods", () => {
    const nodes = [node("a", "2", "8Gi"), node("b", "4", "8Gi")];
    const fit = gangFit(nodes, [bound("a", "1500m"), bound("b", "1", "Succeeded")], want, 4);
    expect(fit).toEqual({ fits: true, room: 4, nodes: ["a: room for 0", "b: room for 4"] });
    expect(gangFit(nodes, [bound("b", "3")], want, 4)).toMatchObject({ fits: false, room: 3 });
  });

  it("leaves out cordoned, not-Ready, unlabelled and tainted nodes, and says why", () => {
    const nodes = [
      node("cordoned", "8", "32Gi", { spec: { unschedulable: true } }),
      node("tainted", "8", "32Gi", { spec: { taints: [{ key: "gpu", effect: "NoSchedule" }] } }),
      node("down", "8", "32Gi", {
        status: { allocatable: { cpu: "8", memory: "32Gi" }, conditions: [{ type: "Ready", status: "False" }] },
      }),
    ];
    const fit = gangFit(nodes, [], want, 1, { pool: "train" });
    expect(fit.fits).toBe(false);
    expect(fit.nodes).toEqual(["cordoned: cordoned", "down: not Ready", "tainted: taint gpu:NoSchedule not tolerated"]);
    const tolerated = gangFit(nodes.slice(1, 2), [], want, 2, {}, [{ key: "gpu", operator: "Exists" }]);
    expect(tolerated.fits).toBe(true);
    expect(gangFit([node("a", "8", "32Gi")], [], want, 1, { pool: "other" }).nodes).toEqual(["a: no label pool=other"]);
  });
});

describe("workerPod", () => {
  it("is the training pod run from the PyTorch image, with the script and its place in the group", () => {
    const p0 = workerPod(tj(), ctx, 2, 0);
    const p1 = workerPod(tj(), ctx, 2, 1, "10.1.0.5");
    expect(p0.metadata?.name).toBe("penguins-ddp-g2-w0");
    expect(p0.metadata?.labels).toMatchObject({ [LABEL_WORKER]: "0", [LABEL_ATTEMPT]: "2" });
    const c0 = p0.spec?.containers[0];
    const c1 = p1.spec?.containers[0];
    expect(c0?.image).toBe(images.cpu);
    const env = (c: typeof c0, name: string) => c?.env?.find((e) => e.name === name);
    expect(env(c0, "LIFTOFF_TORCH_MASTER_ADDR")?.valueFrom?.fieldRef?.fieldPath).toBe("status.podIP");
    expect(env(c1, "LIFTOFF_TORCH_MASTER_ADDR")?.value).toBe("10.1.0.5");
    expect(env(c1, "LIFTOFF_TORCH_WORKER")?.value).toBe("1");
    expect(env(c1, "LIFTOFF_TORCH_MASTER_PORT")?.value).toBe(String(masterPort(2)));
    expect(env(c1, "LIFTOFF_TORCH_SCRIPT")?.value).toBe(`${SCRIPT_DIR}/train.py`);
    expect(c1?.volumeMounts).toContainEqual({ name: "script", mountPath: SCRIPT_DIR, readOnly: true });
    expect(p1.spec?.volumes).toContainEqual({
      name: "script",
      configMap: { name: "penguins-ddp", items: [{ key: "train.py", path: "train.py" }] },
    });
    // The same pinned, encrypted DataSet version a Job's pod would read.
    expect(podDataVersion(p1.spec)).toEqual(data);
    expect(workerPod(tj({ resources: { gpu: 1 } }), ctx, 0, 0).spec?.containers[0]?.image).toBe(images.gpu);
  });

  it("leaves the TrainingJob no Job: only its ServiceAccount is applied", () => {
    expect(desiredObjects(tj(), ctx).map((d) => d.resource.kind)).toEqual(["ServiceAccount"]);
  });
});

describe("the group's status", () => {
  const status = (t: TrainingJob, pods: Pod[]) => {
    const view = groupView(pods);
    const plan = planGroup(t, view, NOW);
    return computeStatus(
      t,
      {
        job: jobViewOf(t, view, plan, NOW.toISOString()),
        data,
        pods,
        outcome: groupOutcome(view, plan),
        outputUri: "pvc://data/models/penguins-ddp",
      },
      () => "2026-01-01T00:10:00Z",
    );
  };

  it("publishes worker 0's ONNX model, pinned by model.onnx's own digest", () => {
    const message = JSON.stringify({
      reason: "Succeeded",
      model: { digest: `sha256:${HEX}`, format: "onnx", fileDigest: `sha256:${FILE_HEX}` },
      dataSetDigest: `sha256:${HEX}`,
      finalMetrics: { accuracy: 0.98 },
      epochs: 5,
    });
    const s = status(tj(), [
      worker(0, { phase: "Succeeded", exitCode: 0, message }),
      worker(1, { phase: "Succeeded", exitCode: 0 }),
    ]);
    expect(s.phase).toBe("Succeeded");
    expect(s.model).toMatchObject({
      uri: `pvc://data/models/penguins-ddp/${HEX}`,
      digest: `sha256:${FILE_HEX}`,
      format: "onnx",
    });
    expect(s.finalMetrics).toEqual({ accuracy: 0.98 });
  });

  it("fails with the script's words from the worker whose error decided it, not its peer's", () => {
    const script = JSON.stringify({ reason: "ScriptFailed", message: "the script failed:\nValueError: bad column" });
    const peer = JSON.stringify({ reason: "WorkerLost", message: "Connection closed by peer" });
    const s = status(tj(), [
      worker(0, { phase: "Failed", exitCode: 1, message: peer }),
      worker(1, { phase: "Failed", exitCode: 2, message: script }),
    ]);
    expect(s.phase).toBe("Failed");
    const ready = s.conditions?.find((c) => c.type === "Ready");
    expect(ready?.reason).toBe("ScriptFailed");
    expect(ready?.message).toContain("ValueError: bad column");
  });

  it("waits while no worker exists, runs while they do, and shows the attempt and the rendezvous", () => {
    expect(status(tj(), []).phase).toBe("Pending");
    const pods = [worker(0, { ip: "10.1.0.5", attempt: 1 }), worker(1, { attempt: 1 })];
    expect(status(tj(), pods).phase).toBe("Running");
    const view = groupView(pods);
    expect(workersStatus(tj(), view, planGroup(tj(), view, NOW))).toEqual({
      attempt: 1,
      ready: 2,
      total: 2,
      masterAddress: "10.1.0.5",
    });
    expect(Reason.InsufficientCapacity).toBe("InsufficientCapacity");
  });
});

describe("progress reports of a pytorch run", () => {
  it("are taken from the current attempt's worker 0 only, never from a lost attempt's worker", async () => {
    const offered: number[] = [];
    const job = tj();
    const pods = [
      worker(0, { phase: "Failed", exitCode: 1 }),
      worker(1, { phase: "Failed", exitCode: 137 }),
      worker(0, { attempt: 1, ip: "10.1.0.9" }),
      worker(1, { attempt: 1 }),
    ];
    const r = new TrainingJobReconciler({
      client: {} as never,
      caches: {
        trainingJobs: new FakeCache(RESOURCES.TrainingJob, [job]),
        dataSets: new FakeCache(RESOURCES.DataSet),
        jobs: new FakeCache(RESOURCES.Job),
        serviceAccounts: new FakeCache(RESOURCES.ServiceAccount),
        pods: new FakeCache(
          RESOURCES.Pod,
          pods.map((p) => ({
            ...p,
            metadata: { ...p.metadata, labels: { ...p.metadata?.labels, [LABEL_TJ]: "penguins-ddp" } },
          })),
        ),
      },
      events: { record: async () => {} } as never,
      runtimeImage: "r/x:1",
      progress: { offer: (_ns: string, _n: string, p: { epoch: number }) => offered.push(p.epoch) } as never,
    });
    const run = (pod: string) => ({
      kind: "TrainingJob",
      namespace: "ml",
      name: "penguins-ddp",
      uid: "u-1",
      job: { name: pod, uid: pod, annotations: {} },
      pod: { name: pod, uid: pod },
    });
    const report = (epoch: number) => ({
      phase: "progress" as const,
      data: { progress: { epoch, epochs: 5, percentage: epoch * 20 } },
    });
    await r.handleReport(run("penguins-ddp-g0-w0"), report(2), {} as never);
    await r.handleReport(run("penguins-ddp-g1-w1"), report(3), {} as never);
    await r.handleReport(run("penguins-ddp-g1-w0"), report(4), {} as never);
    expect(offered).toEqual([4]);
  });
});
