// The closed loop inside the ModelDeployment reconcile, over fake caches and a fake API client (as reconciler.test.ts):
// children created once and adopted after a restart, the candidate canaried, promoted or failed, the spec untouched.
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type { DataSet, ModelDeployment, ModelDeploymentStatus, TrainingJob } from "../api/v1alpha1/index.js";
import type { EventRecorder } from "../controller/events.js";
import { FakeCache } from "../controller/fake-cache.js";
import type { KubeClient } from "../kube/client.js";
import { RESOURCES, type ResourceType } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { Reason } from "../reasons.js";
import type { TrackFigures } from "./loop/figures.js";
import type { LoopVerdict } from "./loop/machine.js";
import { LABEL_LOOP, RETRAIN_ANNOTATION } from "./loop/names.js";
import { ModelDeploymentReconciler, ownedKinds } from "./reconciler.js";

const log = pino({ level: "silent" });
const KEY = "ml/penguins";
const NO_CAPS = { serviceMonitor: false, gatewayAPI: false };
const T0 = Date.parse("2026-12-06T10:00:00Z");
const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
const succeeded = (uri: string, digest: string) => ({
  phase: "Succeeded" as const,
  conditions: [
    { type: "Succeeded", status: "True" as const, reason: "Succeeded", message: "", lastTransitionTime: "t" },
  ],
  model: { uri, digest, version: "v1", dataSetDigest: DIGEST("d") },
});

function mdep(annotation?: string): ModelDeployment {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: {
      name: "penguins",
      namespace: "ml",
      uid: "uid-penguins",
      generation: 1,
      resourceVersion: "1",
      creationTimestamp: "2026-12-06T00:00:00Z",
      ...(annotation ? { annotations: { [RETRAIN_ANNOTATION]: annotation } } : {}),
    },
    spec: {
      model: { trainingJobRef: { name: "penguins-mlp" }, format: "tfjs-layers" },
      replicas: 1,
      retrain: { canary: { trafficPercent: 40 } },
    },
  };
}

const templateTJ: TrainingJob = {
  metadata: { name: "penguins-mlp", namespace: "ml", uid: "uid-tj" },
  spec: {
    dataSetRef: { name: "penguins" },
    task: "multiclass",
    model: { layers: [{ type: "dense", units: 8 }] },
    hyperparameters: { optimizer: "adam", learningRate: 0.01, epochs: 20, batchSize: 32 },
  } as TrainingJob["spec"],
  status: succeeded("pvc://data/models/penguins-mlp/model.json", DIGEST("0")),
};
const templateDS: DataSet = {
  metadata: { name: "penguins", namespace: "ml", uid: "uid-ds" },
  spec: {
    source: { http: { url: "https://d.example/p.csv" } },
    output: { claimName: "data", path: "penguins" },
  } as DataSet["spec"],
};

interface Call {
  verb: "apply" | "delete";
  resource: ResourceType;
  name: string;
  subresource?: string;
  body?: KubeObject;
}

const ready = { observedGeneration: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 };

function harness(
  m: ModelDeployment,
  verdict: () => LoopVerdict | undefined = () => undefined,
  seed: { tjs?: TrainingJob[]; dss?: DataSet[] } = {},
) {
  let clock = T0;
  const calls: Call[] = [];
  const mdeps = new FakeCache(RESOURCES.ModelDeployment, [m]);
  const trainingJobs = new FakeCache(RESOURCES.TrainingJob, [templateTJ, ...(seed.tjs ?? [])]);
  const dataSets = new FakeCache(RESOURCES.DataSet, [templateDS, ...(seed.dss ?? [])]);
  const owned = ownedKinds(NO_CAPS).map((r) => new FakeCache(r));
  const cacheOf = (r: ResourceType) =>
    (r === RESOURCES.TrainingJob
      ? trainingJobs
      : r === RESOURCES.DataSet
        ? dataSets
        : owned.find((c) => c.resource === r)) as FakeCache | undefined;
  const client = {
    apply: vi.fn(async (r: ResourceType, obj: KubeObject, subresource?: string) => {
      calls.push({
        verb: "apply",
        resource: r,
        name: obj.metadata?.name ?? "",
        ...(subresource ? { subresource } : {}),
        body: obj,
      });
      return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(calls.length + 100), generation: 1 } };
    }),
    delete: vi.fn(async (r: ResourceType, _ns: string, name: string) => {
      calls.push({ verb: "delete", resource: r, name });
      cacheOf(r)?.remove({ metadata: { namespace: "ml", name } });
    }),
  };
  const events = { record: vi.fn(async () => undefined) };
  const stage = { set: vi.fn() };
  const total = { inc: vi.fn() };
  const figures = (feedback: number, correct: number): TrackFigures => ({
    pods: 1,
    feedback,
    correct,
    accuracy: correct / feedback,
    requests: 200,
    errors: 0,
    errorRate: 0,
  });
  const judge = vi.fn(
    () => verdict() ?? { decision: "wait" as const, reason: Reason.NotEnoughFeedback, message: "wait", test: "" },
  );
  const reconciler = new ModelDeploymentReconciler({
    client: client as unknown as KubeClient,
    caches: {
      modelDeployments: mdeps,
      trainingJobs,
      dataSets,
      pods: new FakeCache(RESOURCES.Pod),
      nodes: new FakeCache(RESOURCES.Node),
      owned,
    },
    events: events as unknown as EventRecorder,
    runtimeImage: "registry.local/liftoff-runtime:1",
    capabilities: NO_CAPS,
    now: () => new Date(clock).toISOString().replace(/\.\d+Z$/, "Z"),
    clockMs: () => clock,
    loop: {
      periodSeconds: 60,
      figures: (_key, track) => (track === "stable" ? figures(100, 70) : figures(100, 90)),
      judge,
      metrics: { stage, total },
    },
  });
  return {
    reconcile: () => reconciler.reconcile(KEY, { log, signal: new AbortController().signal }),
    writes: () => calls.splice(0),
    events: () =>
      events.record.mock.calls.map((c) => {
        const [, type, reason] = c as unknown as [unknown, string, string];
        return `${type} ${reason}`;
      }),
    advance: (ms: number) => {
      clock += ms;
    },
    mdeps,
    trainingJobs,
    dataSets,
    cacheOf,
    stage,
    total,
    judge,
    /** The watch events of what was applied, as the API server would store it (Deployments ready). */
    echo(applied: Call[]) {
      for (const c of applied.filter((x) => x.verb === "apply" && !x.subresource)) {
        const obj = { ...c.body, metadata: { ...c.body?.metadata, resourceVersion: "echo", generation: 1 } };
        cacheOf(c.resource)?.set(c.resource === RESOURCES.Deployment ? { ...obj, status: ready } : obj);
      }
      const status = applied.findLast((x) => x.subresource === "status");
      const current = mdeps.get(KEY);
      if (current && status?.body) mdeps.set({ ...current, status: status.body.status as ModelDeploymentStatus });
    },
  };
}

const summary = (calls: Call[]) =>
  calls.map((c) => `${c.verb} ${c.resource.kind} ${c.name}${c.subresource ? `/${c.subresource}` : ""}`);
const statusOf = (calls: Call[]) =>
  calls.findLast((c) => c.subresource === "status")?.body?.status as ModelDeploymentStatus | undefined;
const modelEnv = (calls: Call[], deployment: string) => {
  const dep = calls.find((c) => c.resource === RESOURCES.Deployment && c.name === deployment)?.body as
    | { spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } } }
    | undefined;
  return dep?.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === "LIFTOFF_MODEL_URI")?.value;
};

describe("ModelDeploymentReconciler: the closed loop", () => {
  it("a manual loop end to end: children once, the candidate canaried with 40%, promoted on the verdict; the spec untouched", async () => {
    let verdict: LoopVerdict | undefined;
    const h = harness(mdep("go"), () => verdict);
    const specBefore = structuredClone(h.mdeps.get(KEY)?.spec);

    // 1. The annotation starts loop 1: its DataSet and TrainingJob are created, the stage written at once.
    const first = await h.reconcile();
    const w1 = h.writes();
    expect(summary(w1).filter((s) => /DataSet|TrainingJob/.test(s))).toEqual([
      "apply DataSet penguins-loop-1",
      "apply TrainingJob penguins-loop-1",
    ]);
    expect(statusOf(w1)?.loop).toMatchObject({ stage: "Retraining", iteration: 1, manualToken: "go" });
    expect(statusOf(w1)?.conditions?.find((c) => c.type === "LoopFailed")).toMatchObject({
      status: "False",
      reason: Reason.LoopHealthy,
    });
    expect(first?.requeueAfterMs).toBeGreaterThan(0);
    expect(h.events()).toEqual([`Normal ${Reason.Retraining}`]);
    expect(h.stage.set).toHaveBeenCalledWith({ namespace: "ml", name: "penguins", stage: "Retraining" }, 1);
    const tj = w1.find((c) => c.name === "penguins-loop-1" && c.resource === RESOURCES.TrainingJob)
      ?.body as TrainingJob;
    expect(tj.metadata?.labels?.[LABEL_LOOP]).toBe("penguins");
    expect(tj.spec.dataSetRef.name).toBe("penguins-loop-1");
    h.echo(w1);

    // 2. Nothing new: no second TrainingJob, no write at all.
    await h.reconcile();
    const w2 = h.writes();
    expect(summary(w2).filter((s) => /DataSet|TrainingJob/.test(s))).toEqual([]);
    h.echo(w2);
    await h.reconcile();
    expect(h.writes()).toEqual([]);

    // 3. The TrainingJob succeeds: its model goes out as the canary.
    const loopTJ = h.trainingJobs.get("ml/penguins-loop-1") as TrainingJob;
    h.trainingJobs.set({ ...loopTJ, status: succeeded("pvc://data/models/penguins-loop-1/model.json", DIGEST("a")) });
    await h.reconcile();
    const w3 = h.writes();
    expect(summary(w3)).toContain("apply Deployment penguins-canary");
    expect(modelEnv(w3, "penguins-canary")).toBe("pvc://data/models/penguins-loop-1/model.json");
    expect(statusOf(w3)).toMatchObject({
      loop: { stage: "Canary", candidate: { digest: DIGEST("a") } },
      canary: { trafficPercent: 40 },
    });
    h.echo(w3);

    // 4. Ready canary, still waiting for feedback: judged each period, nothing decided.
    h.advance(60_000);
    const judging = await h.reconcile();
    expect(judging?.requeueAfterMs).toBeLessThanOrEqual(60_000);
    expect(h.judge).toHaveBeenCalled();
    h.echo(h.writes());

    // 5. The verdict says promote: the stable serves the candidate, the canary goes.
    verdict = {
      decision: "promote",
      reason: Reason.CanaryMoreAccurate,
      message: "0.90 vs 0.70",
      test: "two-proportion z-test, one-sided, z=3.4, p=0.0003",
    };
    h.advance(60_000);
    await h.reconcile();
    const w5 = h.writes();
    expect(modelEnv(w5, "penguins-predictor")).toBe("pvc://data/models/penguins-loop-1/model.json");
    expect(summary(w5)).toContain("delete Deployment penguins-canary");
    const s5 = statusOf(w5);
    expect(s5?.loop).toMatchObject({
      stage: "Promoted",
      decision: { decision: "promote", reason: Reason.CanaryMoreAccurate, test: expect.stringContaining("z=3.4") },
      figures: { stable: { feedback: 100, correct: 70 }, canary: { feedback: 100, correct: 90 } },
      promoted: { trainingJob: "penguins-loop-1", digest: DIGEST("a") },
      lineage: { dataDigest: DIGEST("d"), modelDigest: DIGEST("a") },
    });
    expect(s5?.model?.summary).toBe("penguins-loop-1");
    expect(h.events()).toContain(`Normal ${Reason.CanaryMoreAccurate}`);
    expect(h.total.inc).toHaveBeenCalledWith({ namespace: "ml", name: "penguins", decision: "promote" });
    // GitOps-safe: only the status subresource of the ModelDeployment was ever written; its spec is as applied.
    expect(w5.filter((c) => c.resource === RESOURCES.ModelDeployment).every((c) => c.subresource === "status")).toBe(
      true,
    );
    expect(h.mdeps.get(KEY)?.spec).toEqual(specBefore);
    h.echo(w5);

    // 6. Settled: the promotion keeps serving, nothing more written.
    await h.reconcile();
    h.echo(h.writes());
    await h.reconcile();
    expect(h.writes()).toEqual([]);
  });

  it("after a restart mid-loop it adopts the loop's children by name: no second TrainingJob", async () => {
    const owner = {
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "ModelDeployment",
      name: "penguins",
      uid: "uid-penguins",
      controller: true,
    };
    const meta = {
      name: "penguins-loop-2",
      namespace: "ml",
      labels: { [LABEL_LOOP]: "penguins" },
      ownerReferences: [owner],
    };
    const m = mdep("go");
    m.status = {
      loop: {
        stage: "Retraining",
        iteration: 2,
        startedAt: "2026-12-06T09:50:00Z",
        dataSet: "penguins-loop-2",
        trainingJob: "penguins-loop-2",
        manualToken: "go",
      },
    };
    const h = harness(m, undefined, {
      tjs: [{ metadata: meta, spec: templateTJ.spec, status: { phase: "Running" } }],
      dss: [{ metadata: meta, spec: templateDS.spec }],
    });
    await h.reconcile();
    const w = h.writes();
    expect(summary(w).filter((s) => /DataSet|TrainingJob/.test(s))).toEqual([]);
    // The serving children's echoes come, then the status: still loop 2, retraining.
    h.echo(w);
    await h.reconcile();
    const after = h.writes();
    expect(summary(after).filter((s) => /DataSet|TrainingJob/.test(s))).toEqual([]);
    expect(statusOf(after)?.loop).toMatchObject({
      stage: "Retraining",
      iteration: 2,
      message: expect.stringContaining("phase Running"),
    });
  });

  it("a failed TrainingJob: stage Failed, LoopFailed True with its reason, the stable model keeps serving", async () => {
    const owner = {
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "ModelDeployment",
      name: "penguins",
      uid: "uid-penguins",
      controller: true,
    };
    const meta = {
      name: "penguins-loop-1",
      namespace: "ml",
      labels: { [LABEL_LOOP]: "penguins" },
      ownerReferences: [owner],
    };
    const m = mdep("go");
    m.status = {
      loop: {
        stage: "Retraining",
        iteration: 1,
        dataSet: "penguins-loop-1",
        trainingJob: "penguins-loop-1",
        manualToken: "go",
      },
    };
    const failed = {
      phase: "Failed" as const,
      conditions: [
        { type: "Failed", status: "True" as const, reason: "NaNLoss", message: "loss is NaN", lastTransitionTime: "t" },
      ],
    };
    const h = harness(m, undefined, {
      tjs: [{ metadata: meta, spec: templateTJ.spec, status: failed }],
      dss: [{ metadata: meta, spec: templateDS.spec }],
    });
    await h.reconcile();
    const w = h.writes();
    const s = statusOf(w);
    expect(s?.loop).toMatchObject({ stage: "Failed", reason: Reason.RetrainTrainingJobFailed });
    expect(s?.conditions?.find((c) => c.type === "LoopFailed")).toMatchObject({
      status: "True",
      reason: Reason.RetrainTrainingJobFailed,
      message: expect.stringContaining("NaNLoss"),
    });
    expect(modelEnv(w, "penguins-predictor")).toBe("pvc://data/models/penguins-mlp/model.json");
    expect(summary(w)).not.toContain("apply Deployment penguins-canary");
    expect(h.events()).toEqual([`Warning ${Reason.RetrainTrainingJobFailed}`]);
    expect(h.total.inc).toHaveBeenCalledWith({ namespace: "ml", name: "penguins", decision: "failed" });
  });

  it("a ModelDeployment without spec.retrain gets no loop status and no LoopFailed condition", async () => {
    const m = mdep();
    delete m.spec.retrain;
    const h = harness(m);
    await h.reconcile();
    const s = statusOf(h.writes());
    expect(s?.loop).toBeUndefined();
    expect(s?.conditions?.find((c) => c.type === "LoopFailed")).toBeUndefined();
  });
});
