import { describe, expect, it } from "vitest";
import type { DataSet, ModelDeployment, ModelDeploymentStatus, TrainingJob } from "../../api/v1alpha1/index.js";
import { Reason } from "../../reasons.js";
import { effectiveModelDeployment, specModelFingerprint } from "./effective.js";
import { type LoopObserved, type LoopStatus, type LoopVerdict, loopFailedCondition, nextLoopStep } from "./machine.js";
import { LABEL_LOOP, RETRAIN_ANNOTATION } from "./names.js";

const T0 = Date.parse("2026-12-06T10:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
const MIN = 60_000;

type Retrain = NonNullable<ModelDeployment["spec"]["retrain"]>;

function mdep(retrain: Retrain | null = {}, status: ModelDeploymentStatus = {}, annotation?: string): ModelDeployment {
  return {
    metadata: {
      name: "penguins",
      namespace: "ml",
      uid: "uid-penguins",
      generation: 1,
      creationTimestamp: "2026-12-06T00:00:00Z",
      ...(annotation !== undefined ? { annotations: { [RETRAIN_ANNOTATION]: annotation } } : {}),
    },
    spec: {
      model: { trainingJobRef: { name: "penguins-mlp" }, format: "tfjs-layers" },
      ...(retrain ? { retrain } : {}),
    },
    status,
  };
}

const templateTJ: TrainingJob = {
  metadata: { name: "penguins-mlp", namespace: "ml" },
  spec: {
    dataSetRef: { name: "penguins" },
    task: "multiclass",
    model: { layers: [{ type: "dense", units: 8 }] },
    hyperparameters: { optimizer: "adam", learningRate: 0.01, epochs: 20, batchSize: 32 },
  } as TrainingJob["spec"],
};
const templateDS: DataSet = {
  metadata: { name: "penguins", namespace: "ml" },
  spec: {
    source: { http: { url: "https://data.example/penguins.csv" } },
    output: { claimName: "data", path: "penguins" },
  } as DataSet["spec"],
};

function observed(over: Partial<LoopObserved> = {}): LoopObserved {
  return {
    nowMs: T0,
    periodSeconds: 60,
    templates: {
      trainingJob: templateTJ,
      dataSet: templateDS,
      names: { trainingJob: "penguins-mlp", dataSet: "penguins" },
    },
    children: [],
    canaryReady: false,
    ...over,
  };
}

const cond = (type: string, status: "True" | "False", reason: string, message = "") => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: "2026-12-06T09:00:00Z",
});

const child = (kind: "DataSet" | "TrainingJob", n: number, status?: object) =>
  ({
    kind,
    metadata: {
      name: `penguins-loop-${n}`,
      namespace: "ml",
      labels: { [LABEL_LOOP]: "penguins" },
      ownerReferences: [
        {
          apiVersion: "liftoff.dev/v1alpha1",
          kind: "ModelDeployment",
          name: "penguins",
          uid: "uid-penguins",
          controller: true,
        },
      ],
    },
    spec: {},
    ...(status ? { status } : {}),
  }) as unknown as DataSet & TrainingJob;

const succeededTJ = (n: number) =>
  child("TrainingJob", n, {
    phase: "Succeeded",
    conditions: [cond("Succeeded", "True", "Succeeded")],
    model: {
      uri: `pvc://data/models/penguins-loop-${n}/model.json`,
      digest: `sha256:${"a".repeat(64)}`,
      version: "v",
      dataSetDigest: `sha256:${"d".repeat(64)}`,
    },
  });

const retraining = (n = 1, extra: Partial<LoopStatus> = {}): LoopStatus => ({
  stage: "Retraining",
  iteration: n,
  trigger: { reason: "Manual", message: "by hand", at: iso(T0 - 10 * MIN) },
  startedAt: iso(T0 - 10 * MIN),
  dataSet: `penguins-loop-${n}`,
  trainingJob: `penguins-loop-${n}`,
  loopsToday: { day: "2026-12-06", count: 1 },
  manualToken: "1",
  ...extra,
});

const canaryLoop = (n = 1, canaryAtMs = T0 - MIN, extra: Partial<LoopStatus> = {}): LoopStatus => ({
  ...retraining(n),
  stage: "Canary",
  canaryAt: iso(canaryAtMs),
  candidate: { uri: `pvc://data/models/penguins-loop-${n}/model.json`, digest: `sha256:${"a".repeat(64)}` },
  ...extra,
});

const figures = {
  stable: { pods: 1, feedback: 80, correct: 60, requests: 100, errors: 0 },
  canary: { pods: 1, feedback: 80, correct: 76, requests: 100, errors: 0 },
};
const judged = (decision: LoopVerdict["decision"], reason: string) => ({
  verdict: {
    decision,
    reason,
    message: `${decision} because ${reason}`,
    test: "two-proportion z-test, one-sided, z=2.9, p=0.002",
  },
  figures,
});

describe("nextLoopStep: no policy", () => {
  it("a ModelDeployment without spec.retrain has no loop", () => {
    const step = nextLoopStep(mdep(null), observed());
    expect(step).toEqual({ actions: [], events: [] });
  });

  it("spec.retrain removed mid-loop ends it as Failed (RetrainRemoved); the stable keeps serving", () => {
    const step = nextLoopStep(mdep(null, { loop: retraining() }), observed());
    expect(step.loop).toMatchObject({ stage: "Failed", reason: Reason.RetrainRemoved });
    expect(loopFailedCondition(step.loop)).toMatchObject({ status: "True", reason: Reason.RetrainRemoved });
  });
});

describe("nextLoopStep: triggers", () => {
  it("with nothing firing, it watches: no children, no Event, and LoopFailed False", () => {
    const step = nextLoopStep(mdep({ triggers: { degraded: true } }), observed());
    expect(step.loop).toEqual({ stage: "Watching", iteration: 0 });
    expect(step.actions).toEqual([]);
    expect(step.events).toEqual([]);
    expect(step.requeueAfterMs).toBeUndefined();
    expect(loopFailedCondition(step.loop)).toMatchObject({ status: "False", reason: Reason.LoopHealthy });
  });

  it("Manual: a new annotation value starts loop 1 with its DataSet and TrainingJob copied from the templates", () => {
    const m = mdep({ trainingJob: { hyperparameters: { learningRate: 0.05 } } }, {}, "2026-12-06a");
    m.spec.capture = { uri: "pvc://data/capture" } as NonNullable<ModelDeployment["spec"]["capture"]>;
    const step = nextLoopStep(m, observed());
    expect(step.loop).toMatchObject({
      stage: "Retraining",
      iteration: 1,
      trigger: { reason: "Manual", at: "2026-12-06T10:00:00Z" },
      startedAt: "2026-12-06T10:00:00Z",
      dataSet: "penguins-loop-1",
      trainingJob: "penguins-loop-1",
      manualToken: "2026-12-06a",
      loopsToday: { day: "2026-12-06", count: 1 },
    });
    const [ds, tj] = step.actions.map((a) => (a.op === "create" ? a.child.object : undefined)) as [
      DataSet,
      TrainingJob,
    ];
    expect(ds.kind).toBe("DataSet");
    expect(ds.metadata?.name).toBe("penguins-loop-1");
    expect(ds.metadata?.labels?.[LABEL_LOOP]).toBe("penguins");
    expect(ds.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "ModelDeployment",
      uid: "uid-penguins",
      controller: true,
    });
    expect(ds.spec.output).toEqual({ claimName: "data", path: "penguins-loop-1" });
    expect(ds.spec.source.captured).toEqual({
      modelDeploymentRef: { name: "penguins" },
      maxAgeHours: 168,
      labelled: true,
    });
    expect(ds.spec.source.http).toEqual({ url: "https://data.example/penguins.csv" });
    expect(tj.kind).toBe("TrainingJob");
    expect(tj.spec.dataSetRef).toEqual({ name: "penguins-loop-1" });
    expect(tj.spec.hyperparameters).toEqual({ optimizer: "adam", learningRate: 0.05, epochs: 20, batchSize: 32 });
    // The template itself is not touched.
    expect(templateTJ.spec.hyperparameters.learningRate).toBe(0.01);
    expect(step.events).toEqual([
      { type: "Normal", reason: Reason.Retraining, message: expect.stringContaining("loop 1 (Manual)") },
    ]);
  });

  it("Manual fires once per distinct value: the value acted on does not start another loop", () => {
    const done: LoopStatus = { ...retraining(), stage: "Promoted", finishedAt: iso(T0 - MIN), manualToken: "a" };
    expect(nextLoopStep(mdep({}, { loop: done }, "a"), observed()).loop?.stage).toBe("Promoted");
    expect(nextLoopStep(mdep({}, { loop: done }, "b"), observed()).loop).toMatchObject({
      stage: "Retraining",
      iteration: 2,
      manualToken: "b",
    });
  });

  it("without captured traffic (no spec.capture) the loop's DataSet is the template's copy only", () => {
    const step = nextLoopStep(mdep({}, {}, "x"), observed());
    const first = step.actions[0];
    if (first?.op !== "create") throw new Error("expected the DataSet to be created");
    const ds = first.child.object as DataSet;
    expect(ds.spec.source).toEqual({ http: { url: "https://data.example/penguins.csv" } });
  });

  it("Degraded fires for a quality reason only", () => {
    const quality = mdep(
      { triggers: { degraded: true } },
      { conditions: [cond("Degraded", "True", Reason.AccuracyBelowThreshold, "accuracy 0.61 < 0.8")] },
    );
    expect(nextLoopStep(quality, observed()).loop).toMatchObject({
      stage: "Retraining",
      trigger: { reason: "Degraded" },
    });
    const crash = mdep(
      { triggers: { degraded: true } },
      { conditions: [cond("Degraded", "True", Reason.CrashLoopBackOff)] },
    );
    expect(nextLoopStep(crash, observed()).loop?.stage).toBe("Watching");
    const off = mdep({ triggers: {} }, { conditions: [cond("Degraded", "True", Reason.AccuracyBelowThreshold)] });
    expect(nextLoopStep(off, observed()).loop?.stage).toBe("Watching");
  });

  it("Drifted fires after N consecutive periods, counted from driftedSince; a break restarts the count", () => {
    const drifted = { conditions: [cond("Drifted", "True", Reason.DriftDetected, "psi 0.4")] };
    const policy = { triggers: { drifted: { periods: 3 } } };
    const first = nextLoopStep(mdep(policy, drifted), observed());
    expect(first.loop).toEqual({ stage: "Watching", iteration: 0, driftedSince: "2026-12-06T10:00:00Z" });
    expect(first.requeueAfterMs).toBe(2 * 60_000);
    const second = nextLoopStep(
      mdep(policy, { ...drifted, loop: first.loop as LoopStatus }),
      observed({ nowMs: T0 + 60_000 }),
    );
    expect(second.loop?.stage).toBe("Watching");
    const third = nextLoopStep(
      mdep(policy, { ...drifted, loop: second.loop as LoopStatus }),
      observed({ nowMs: T0 + 120_000 }),
    );
    expect(third.loop).toMatchObject({ stage: "Retraining", trigger: { reason: "Drifted" } });
    expect(third.loop?.driftedSince).toBeUndefined();
    const calm = { conditions: [cond("Drifted", "False", Reason.NoDrift)], loop: second.loop as LoopStatus };
    expect(nextLoopStep(mdep(policy, calm), observed({ nowMs: T0 + 120_000 })).loop).toEqual({
      stage: "Watching",
      iteration: 0,
    });
  });

  it("Schedule fires everyHours after the last start (the first after creation)", () => {
    const policy = { triggers: { schedule: { everyHours: 12 } } };
    const early = nextLoopStep(mdep(policy), observed({ nowMs: Date.parse("2026-12-06T11:00:00Z") }));
    expect(early.loop?.stage).toBe("Watching");
    expect(early.requeueAfterMs).toBe(MIN * 60);
    const due = nextLoopStep(mdep(policy), observed({ nowMs: Date.parse("2026-12-06T12:00:00Z") }));
    expect(due.loop).toMatchObject({ stage: "Retraining", trigger: { reason: "Schedule" } });
  });

  it("a person's spec.canary keeps the loop from starting, and says so", () => {
    const m = mdep({}, {}, "x");
    m.spec.canary = { model: { uri: "https://m.example/x/model.json", format: "tfjs-layers" }, trafficPercent: 10 };
    const step = nextLoopStep(m, observed());
    expect(step.loop?.stage).toBe("Watching");
    expect(step.loop?.message).toContain("spec.canary is set by hand");
    expect(step.actions).toEqual([]);
  });

  it("a missing template fails the loop (RetrainTemplateNotFound) without starting it", () => {
    const step = nextLoopStep(mdep({}, {}, "x"), observed({ templates: { names: { trainingJob: "penguins-mlp" } } }));
    expect(step.loop).toMatchObject({ stage: "Failed", iteration: 0, reason: Reason.RetrainTemplateNotFound });
    expect(step.loop?.message).toContain("TrainingJob penguins-mlp is not found");
    expect(step.actions).toEqual([]);
    expect(loopFailedCondition(step.loop)).toMatchObject({ status: "True", reason: Reason.RetrainTemplateNotFound });
  });
});

describe("nextLoopStep: limits", () => {
  const degraded = { conditions: [cond("Degraded", "True", Reason.AccuracyBelowThreshold)] };
  const policy = { triggers: { degraded: true }, limits: { minIntervalMinutes: 60, maxPerDay: 2 } };
  const last = (startedAgoMs: number, count: number): LoopStatus => ({
    ...retraining(count, { startedAt: iso(T0 - startedAgoMs), loopsToday: { day: "2026-12-06", count } }),
    stage: "RolledBack",
    finishedAt: iso(T0 - MIN),
  });

  it("one loop at a time: a trigger during a loop starts nothing", () => {
    const step = nextLoopStep(
      mdep(policy, { ...degraded, loop: retraining() }),
      observed({ dataSet: child("DataSet", 1), trainingJob: child("TrainingJob", 1) }),
    );
    expect(step.loop).toMatchObject({ stage: "Retraining", iteration: 1 });
    expect(step.actions).toEqual([]);
  });

  it("minIntervalMinutes holds an automatic trigger back, says why, and wakes when it lifts", () => {
    const step = nextLoopStep(
      mdep(policy, { ...degraded, loop: { ...last(20 * MIN, 1), stage: "Watching" } }),
      observed(),
    );
    expect(step.loop?.stage).toBe("Watching");
    expect(step.loop?.message).toContain("limits.minIntervalMinutes 60");
    expect(step.requeueAfterMs).toBe(40 * MIN);
    // A minute later nothing has changed: the same status (no write).
    const minuteLater = nextLoopStep(
      mdep(policy, { ...degraded, loop: step.loop as LoopStatus }),
      observed({ nowMs: T0 + MIN }),
    );
    expect(minuteLater.loop).toEqual(step.loop);
    const later = nextLoopStep(
      mdep(policy, { ...degraded, loop: last(20 * MIN, 1) }),
      observed({ nowMs: T0 + 40 * MIN }),
    );
    expect(later.loop).toMatchObject({ stage: "Retraining", iteration: 2, loopsToday: { count: 2 } });
  });

  it("after a promotion, Degraded waits one monitoring window and one period (the old model's figures), a person does not", () => {
    const quick = { triggers: { degraded: true }, limits: { minIntervalMinutes: 1 } };
    const promoted = { ...last(20 * MIN, 1), stage: "Promoted" as const, finishedAt: iso(T0 - MIN) };
    const withWindow = (status: ModelDeploymentStatus): ModelDeployment => ({
      ...mdep(quick, status),
      spec: { ...mdep(quick).spec, monitoring: { feedback: true, windowSeconds: 300 } },
    });
    const held = nextLoopStep(withWindow({ ...degraded, loop: promoted }), observed());
    expect(held.loop?.stage).toBe("Promoted");
    expect(held.actions).toEqual([]);
    // Promoted 1 min ago; the window (5 min) and the period (1 min) end 5 min from now.
    expect(held.requeueAfterMs).toBe(5 * MIN);
    const after = nextLoopStep(withWindow({ ...degraded, loop: promoted }), observed({ nowMs: T0 + 5 * MIN }));
    expect(after.loop).toMatchObject({ stage: "Retraining", iteration: 2, trigger: { reason: "Degraded" } });
    const rolledBack = nextLoopStep(
      withWindow({ ...degraded, loop: { ...promoted, stage: "RolledBack" } }),
      observed(),
    );
    expect(rolledBack.loop?.stage).toBe("Retraining");
    const byHand = nextLoopStep(
      { ...withWindow({ ...degraded, loop: promoted }), metadata: { ...mdep(quick, {}, "again").metadata } },
      observed(),
    );
    expect(byHand.loop).toMatchObject({ stage: "Retraining", trigger: { reason: "Manual" } });
  });

  it("maxPerDay holds automatic triggers until the next UTC day", () => {
    const spent = last(120 * MIN, 2);
    const step = nextLoopStep(mdep(policy, { ...degraded, loop: spent }), observed());
    expect(step.loop?.stage).toBe("RolledBack");
    expect(step.requeueAfterMs).toBe(14 * 60 * MIN);
    const tomorrow = nextLoopStep(
      mdep(policy, { ...degraded, loop: spent }),
      observed({ nowMs: Date.parse("2026-12-07T00:00:01Z") }),
    );
    expect(tomorrow.loop).toMatchObject({ stage: "Retraining", loopsToday: { day: "2026-12-07", count: 1 } });
  });

  it("a person's annotation is not held back by the limits", () => {
    const step = nextLoopStep(mdep(policy, { ...degraded, loop: last(5 * MIN, 2) }, "now"), observed());
    expect(step.loop).toMatchObject({ stage: "Retraining", trigger: { reason: "Manual" } });
  });
});

describe("nextLoopStep: retraining", () => {
  it("after a restart it adopts the children it finds: no second DataSet or TrainingJob", () => {
    const step = nextLoopStep(
      mdep({}, { loop: retraining() }),
      observed({ dataSet: child("DataSet", 1), trainingJob: child("TrainingJob", 1, { phase: "Running" }) }),
    );
    expect(step.actions).toEqual([]);
    expect(step.loop?.message).toContain("phase Running");
    expect(step.events).toEqual([]);
  });

  it("retraining past limits.retrainTimeoutMinutes fails the loop (RetrainTimedOut) and deletes its children", () => {
    const loop = retraining(2, { startedAt: iso(T0 - 31 * MIN) });
    const children = [
      { resource: "DataSet" as const, name: "penguins-loop-2" },
      { resource: "TrainingJob" as const, name: "penguins-loop-2" },
    ];
    const pending = child("TrainingJob", 2, { phase: "Pending" });
    const o = observed({ dataSet: child("DataSet", 2), trainingJob: pending, children });
    const before = nextLoopStep(mdep({ limits: { retrainTimeoutMinutes: 32 } }, { loop }), o);
    expect(before.loop?.stage).toBe("Retraining");
    expect(before.requeueAfterMs).toBeLessThanOrEqual(MIN);
    const step = nextLoopStep(mdep({ limits: { retrainTimeoutMinutes: 30 } }, { loop }), o);
    expect(step.loop).toMatchObject({ stage: "Failed", reason: Reason.RetrainTimedOut });
    expect(step.loop?.message).toContain("phase Pending");
    expect(step.actions).toEqual([
      { op: "delete", resource: "DataSet", name: "penguins-loop-2" },
      { op: "delete", resource: "TrainingJob", name: "penguins-loop-2" },
    ]);
    expect(loopFailedCondition(step.loop)).toMatchObject({ status: "True", reason: Reason.RetrainTimedOut });
  });

  it("a child not yet (or no longer) in the cache is applied again under the same name", () => {
    const step = nextLoopStep(mdep({}, { loop: retraining(4) }), observed({ dataSet: child("DataSet", 4) }));
    expect(
      step.actions.map((a) => (a.op === "create" ? `${a.child.object.kind} ${a.child.object.metadata.name}` : a.op)),
    ).toEqual(["TrainingJob penguins-loop-4"]);
  });

  it("a failed DataSet fails the loop (RetrainDataSetFailed) with its message", () => {
    const ds = child("DataSet", 1, { conditions: [cond("Failed", "True", "JobFailed", "prepare exited 1")] });
    const step = nextLoopStep(
      mdep({}, { loop: retraining() }),
      observed({ dataSet: ds, trainingJob: child("TrainingJob", 1) }),
    );
    expect(step.loop).toMatchObject({ stage: "Failed", reason: Reason.RetrainDataSetFailed });
    expect(step.loop?.message).toContain("prepare exited 1");
    expect(step.loop?.history?.at(-1)).toMatchObject({
      iteration: 1,
      decision: "failed",
      reason: Reason.RetrainDataSetFailed,
    });
    expect(step.events).toEqual([
      {
        type: "Warning",
        reason: Reason.RetrainDataSetFailed,
        message: expect.stringContaining("DataSet penguins-loop-1 failed"),
      },
    ]);
    expect(loopFailedCondition(step.loop)).toMatchObject({ status: "True", reason: Reason.RetrainDataSetFailed });
  });

  it("a failed TrainingJob fails the loop (RetrainTrainingJobFailed)", () => {
    const tj = child("TrainingJob", 1, { conditions: [cond("Failed", "True", "NaNLoss", "loss is NaN at epoch 2")] });
    const step = nextLoopStep(
      mdep({}, { loop: retraining() }),
      observed({ dataSet: child("DataSet", 1), trainingJob: tj }),
    );
    expect(step.loop).toMatchObject({ stage: "Failed", reason: Reason.RetrainTrainingJobFailed });
    expect(step.loop?.message).toContain("NaNLoss");
  });

  it("someone else's object under the loop's name fails the loop rather than being used", () => {
    const step = nextLoopStep(
      mdep({}, { loop: retraining() }),
      observed({
        foreign: { resource: "TrainingJob", message: "TrainingJob penguins-loop-1 exists but is not controlled" },
      }),
    );
    expect(step.loop).toMatchObject({ stage: "Failed", reason: Reason.RetrainTrainingJobFailed });
  });

  it("a succeeded TrainingJob puts its model out as the canary, with the lineage", () => {
    const ds = child("DataSet", 1, {
      digest: `sha256:${"d".repeat(64)}`,
      rows: { captured: 420 },
      capturedVersions: 3,
    });
    const step = nextLoopStep(
      mdep({ canary: { trafficPercent: 30, readyTimeoutSeconds: 300 } }, { loop: retraining() }),
      observed({ dataSet: ds, trainingJob: succeededTJ(1) }),
    );
    expect(step.loop).toMatchObject({
      stage: "Canary",
      canaryAt: "2026-12-06T10:00:00Z",
      candidate: { uri: "pvc://data/models/penguins-loop-1/model.json", digest: `sha256:${"a".repeat(64)}` },
      lineage: {
        dataDigest: `sha256:${"d".repeat(64)}`,
        capturedRows: 420,
        capturedVersions: 3,
        modelDigest: `sha256:${"a".repeat(64)}`,
      },
    });
    expect(step.loop?.message).toContain("30% of the traffic");
    expect(step.events).toEqual([{ type: "Normal", reason: Reason.Canary, message: expect.any(String) }]);
    expect(step.requeueAfterMs).toBe(60_000);
  });
});

describe("nextLoopStep: canary", () => {
  const m = (loop: LoopStatus, retrain: Retrain = {}) => mdep(retrain, { loop });
  const kids = [
    { resource: "DataSet" as const, name: "penguins-loop-1" },
    { resource: "TrainingJob" as const, name: "penguins-loop-1" },
    { resource: "DataSet" as const, name: "penguins-loop-2" },
    { resource: "TrainingJob" as const, name: "penguins-loop-2" },
    { resource: "TrainingJob" as const, name: "penguins-loop-3" },
  ];

  it("waits for the canary to become ready, then rolls back at readyTimeoutSeconds (CanaryNotReady, LoopFailed)", () => {
    const waiting = nextLoopStep(m(canaryLoop(3, T0 - 100_000), { canary: { readyTimeoutSeconds: 300 } }), observed());
    expect(waiting.loop?.stage).toBe("Canary");
    const stillWaiting = nextLoopStep(
      m(waiting.loop as LoopStatus, { canary: { readyTimeoutSeconds: 300 } }),
      observed({ nowMs: T0 + 30_000 }),
    );
    expect(stillWaiting.loop).toEqual(waiting.loop);
    expect(waiting.requeueAfterMs).toBe(60_000);
    const late = nextLoopStep(m(canaryLoop(3, T0 - 300_000), { canary: { readyTimeoutSeconds: 300 } }), observed());
    expect(late.loop).toMatchObject({
      stage: "RolledBack",
      reason: Reason.CanaryNotReady,
      finishedAt: "2026-12-06T10:00:00Z",
    });
    expect(late.loop?.promoted).toBeUndefined();
    expect(loopFailedCondition(late.loop)).toMatchObject({ status: "True", reason: Reason.CanaryNotReady });
    expect(late.events[0]).toMatchObject({ type: "Warning", reason: Reason.CanaryNotReady });
  });

  it("promote: records the decision, figures and promotion, and deletes older loops' children", () => {
    const prev = canaryLoop(3, T0 - MIN, {
      promoted: {
        uri: "u",
        trainingJob: "penguins-loop-1",
        dataSet: "penguins-loop-1",
        at: iso(T0 - 600 * MIN),
        specModel: specModelFingerprint(mdep()),
      },
    });
    const step = nextLoopStep(
      m(prev),
      observed({ canaryReady: true, judged: judged("promote", "CanaryMoreAccurate"), children: kids }),
    );
    expect(step.loop).toMatchObject({
      stage: "Promoted",
      reason: "CanaryMoreAccurate",
      decision: {
        decision: "promote",
        reason: "CanaryMoreAccurate",
        test: "two-proportion z-test, one-sided, z=2.9, p=0.002",
        at: "2026-12-06T10:00:00Z",
      },
      figures,
      promoted: {
        uri: "pvc://data/models/penguins-loop-3/model.json",
        digest: `sha256:${"a".repeat(64)}`,
        trainingJob: "penguins-loop-3",
        dataSet: "penguins-loop-3",
        specModel: specModelFingerprint(mdep()),
      },
    });
    expect(step.loop?.history?.at(-1)).toMatchObject({
      iteration: 3,
      trigger: "Manual",
      decision: "promote",
      reason: "CanaryMoreAccurate",
    });
    // Loop 3 now serves; loops 1 (the previous promotion) and 2 go.
    expect(step.actions).toEqual([
      { op: "delete", resource: "DataSet", name: "penguins-loop-1" },
      { op: "delete", resource: "TrainingJob", name: "penguins-loop-1" },
      { op: "delete", resource: "DataSet", name: "penguins-loop-2" },
      { op: "delete", resource: "TrainingJob", name: "penguins-loop-2" },
    ]);
    expect(step.events).toEqual([
      { type: "Normal", reason: "CanaryMoreAccurate", message: expect.stringContaining("promoted loop 3") },
    ]);
  });

  it("rollback: the previous promotion keeps serving and keeps its children", () => {
    const prev = canaryLoop(3, T0 - MIN, {
      promoted: {
        uri: "u",
        trainingJob: "penguins-loop-1",
        at: iso(T0 - 600 * MIN),
        specModel: specModelFingerprint(mdep()),
      },
    });
    const step = nextLoopStep(
      m(prev),
      observed({ canaryReady: true, judged: judged("rollback", "CanaryLessAccurate"), children: kids }),
    );
    expect(step.loop).toMatchObject({
      stage: "RolledBack",
      reason: "CanaryLessAccurate",
      decision: { decision: "rollback" },
      promoted: { trainingJob: "penguins-loop-1" },
    });
    expect(step.actions).toEqual([
      { op: "delete", resource: "DataSet", name: "penguins-loop-2" },
      { op: "delete", resource: "TrainingJob", name: "penguins-loop-2" },
    ]);
    expect(loopFailedCondition(step.loop)).toMatchObject({ status: "False" });
    expect(step.events[0]).toMatchObject({ type: "Warning", reason: "CanaryLessAccurate" });
  });

  it("wait: keeps judging every period with the figures shown; undecided at maxDurationSeconds rolls back (NotEnoughFeedback)", () => {
    const policy = { canary: { maxDurationSeconds: 3600 } };
    const step = nextLoopStep(
      m(canaryLoop(1, T0 - 10 * MIN), policy),
      observed({ canaryReady: true, judged: judged("wait", "NotEnoughFeedback") }),
    );
    expect(step.loop).toMatchObject({ stage: "Canary", reason: "NotEnoughFeedback", figures });
    expect(step.requeueAfterMs).toBe(60_000);
    expect(step.events).toEqual([]);
    const late = nextLoopStep(
      m(canaryLoop(1, T0 - 60 * MIN), policy),
      observed({ canaryReady: true, judged: judged("wait", "NotEnoughFeedback") }),
    );
    expect(late.loop).toMatchObject({
      stage: "RolledBack",
      reason: Reason.NotEnoughFeedback,
      decision: { decision: "rollback", reason: Reason.NotEnoughFeedback },
    });
  });

  it("the same inputs give the same step (idempotent: nothing to write twice)", () => {
    const o = observed({ canaryReady: true, judged: judged("wait", "NotEnoughFeedback") });
    const first = nextLoopStep(m(canaryLoop()), o);
    const again = nextLoopStep(m(first.loop as LoopStatus), o);
    expect(again.loop).toEqual(first.loop);
    expect(again.events).toEqual([]);
  });
});

describe("effective models", () => {
  const promotedStatus = (specModel: string): LoopStatus => ({
    stage: "Promoted",
    iteration: 2,
    promoted: {
      uri: "pvc://data/models/penguins-loop-2/model.json",
      digest: `sha256:${"b".repeat(64)}`,
      trainingJob: "penguins-loop-2",
      at: iso(T0),
      specModel,
    },
  });

  it("the promoted model serves as stable while spec.model is what it was promoted over", () => {
    const m = mdep({}, { loop: promotedStatus(specModelFingerprint(mdep())) });
    expect(effectiveModelDeployment(m, () => true).spec.model).toEqual({
      format: "tfjs-layers",
      trainingJobRef: { name: "penguins-loop-2" },
    });
    // Its TrainingJob gone: by URI and digest.
    expect(effectiveModelDeployment(m, () => false).spec.model).toEqual({
      format: "tfjs-layers",
      uri: "pvc://data/models/penguins-loop-2/model.json",
      digest: `sha256:${"b".repeat(64)}`,
    });
    // The object itself is not changed.
    expect(m.spec.model).toEqual({ trainingJobRef: { name: "penguins-mlp" }, format: "tfjs-layers" });
  });

  it("a person's new spec.model wins: the promotion is dropped with an Event", () => {
    const m = mdep({}, { loop: promotedStatus(specModelFingerprint(mdep())) });
    m.spec.model = { trainingJobRef: { name: "penguins-mlp-v2" }, format: "tfjs-layers" };
    expect(effectiveModelDeployment(m, () => true).spec.model.trainingJobRef?.name).toBe("penguins-mlp-v2");
    const step = nextLoopStep(m, observed());
    expect(step.loop?.promoted).toBeUndefined();
    expect(step.events).toEqual([
      { type: "Normal", reason: Reason.PromotionCleared, message: expect.stringContaining("penguins-loop-2") },
    ]);
  });

  it("in stage Canary the candidate is the canary with retrain.canary.trafficPercent; not while a person's canary is set", () => {
    const m = mdep({ canary: { trafficPercent: 25 } }, { loop: canaryLoop(5) });
    expect(effectiveModelDeployment(m, () => true).spec.canary).toEqual({
      model: { format: "tfjs-layers", trainingJobRef: { name: "penguins-loop-5" } },
      trafficPercent: 25,
    });
    const person = { uri: "https://m.example/x/model.json", format: "tfjs-layers" as const };
    m.spec.canary = { model: person, trafficPercent: 10 };
    expect(effectiveModelDeployment(m, () => true).spec.canary).toEqual({ model: person, trafficPercent: 10 });
  });
});
