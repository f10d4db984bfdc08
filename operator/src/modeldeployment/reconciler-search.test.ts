// A ModelDeployment serving a TrainingSearch (model.trainingSearchRef) inside the reconcile, over fake caches and a
// fake API client (as reconciler.test.ts): it waits while the search runs, serves the best trial once it has
// succeeded, stalls on a failed search, and its loop retrains a copy of the best trial.
import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import type {
  DataSet,
  ModelDeployment,
  ModelDeploymentSpec,
  ModelDeploymentStatus,
  TrainingJob,
  TrainingSearch,
} from "../api/v1alpha1/index.js";
import type { EventRecorder } from "../controller/events.js";
import { FakeCache } from "../controller/fake-cache.js";
import type { KubeClient } from "../kube/client.js";
import { RESOURCES, type ResourceType } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { Reason } from "../reasons.js";
import { RETRAIN_ANNOTATION } from "./loop/names.js";
import { ModelDeploymentReconciler, ownedKinds } from "./reconciler.js";

const log = pino({ level: "silent" });
const KEY = "ml/digits";
const NO_CAPS = { serviceMonitor: false, gatewayAPI: false };
const DIGEST = (c: string) => `sha256:${c.repeat(64)}`;
const TRIAL_URI = "pvc://data/models/digits-search-3/model.json";
const cond = (type: string, status: "True" | "False", reason: string, message = "") => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: "2026-12-07T00:00:00Z",
});

function mdep(spec: Partial<ModelDeploymentSpec> = {}, annotation?: string): ModelDeployment {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: {
      name: "digits",
      namespace: "ml",
      uid: "uid-digits",
      generation: 1,
      resourceVersion: "1",
      creationTimestamp: "2026-12-07T00:00:00Z",
      ...(annotation ? { annotations: { [RETRAIN_ANNOTATION]: annotation } } : {}),
    },
    spec: { model: { trainingSearchRef: { name: "digits-search" }, format: "tfjs-layers" }, replicas: 1, ...spec },
  };
}

/** Trial 3 of the search, succeeded, with the winning units (48) set in its spec. */
const trial: TrainingJob = {
  metadata: {
    name: "digits-search-3",
    namespace: "ml",
    uid: "uid-trial-3",
    labels: { "liftoff.dev/trainingsearch": "digits-search", "liftoff.dev/trial-index": "3" },
  },
  spec: {
    dataSetRef: { name: "digits" },
    task: "multiclass",
    model: { layers: [{ type: "dense", units: 48 }] },
    hyperparameters: { optimizer: "adam", learningRate: 0.0042, epochs: 20, batchSize: 32 },
  } as TrainingJob["spec"],
  status: {
    phase: "Succeeded",
    conditions: [cond("Succeeded", "True", "Succeeded")],
    model: { uri: TRIAL_URI, digest: DIGEST("3"), version: "uid-trial-3/1", dataSetDigest: DIGEST("d") },
  },
};
const digitsDS: DataSet = {
  metadata: { name: "digits", namespace: "ml", uid: "uid-ds" },
  spec: {
    source: { http: { url: "https://d.example/digits.csv" } },
    output: { claimName: "data", path: "digits" },
  } as DataSet["spec"],
};

function search(status: NonNullable<TrainingSearch["status"]>): TrainingSearch {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "TrainingSearch",
    metadata: { name: "digits-search", namespace: "ml", uid: "uid-search" },
    spec: { maxTrials: 16, objective: { metric: "val_accuracy" } } as unknown as TrainingSearch["spec"],
    status,
  };
}
const RUNNING = search({
  phase: "Running",
  objective: { metric: "val_accuracy", goal: "maximize" },
  trials: { total: 4, running: 2, stoppedEarly: 0, succeeded: 2, failed: 0 },
  best: { trial: "digits-search-1", index: 1, objective: 0.91, shortObjective: "0.91", parameters: {} },
  conditions: [cond("Ready", "False", Reason.Searching)],
});
const SUCCEEDED = search({
  phase: "Succeeded",
  conditions: [cond("Ready", "True", Reason.Succeeded)],
  model: {
    trainingJob: "digits-search-3",
    uri: TRIAL_URI,
    digest: DIGEST("3"),
    version: "uid-trial-3/1",
    parameters: { units: "48" },
    objective: 0.9633,
  },
});

interface Call {
  verb: "apply" | "delete";
  resource: ResourceType;
  name: string;
  subresource?: string;
  body?: KubeObject;
}

const ready = { observedGeneration: 1, replicas: 1, readyReplicas: 1, availableReplicas: 1, updatedReplicas: 1 };

function harness(m: ModelDeployment, s?: TrainingSearch) {
  const calls: Call[] = [];
  const mdeps = new FakeCache(RESOURCES.ModelDeployment, [m]);
  const trainingJobs = new FakeCache(RESOURCES.TrainingJob, [trial]);
  const dataSets = new FakeCache(RESOURCES.DataSet, [digitsDS]);
  const trainingSearches = new FakeCache(RESOURCES.TrainingSearch, s ? [s] : []);
  const owned = ownedKinds(NO_CAPS).map((r) => new FakeCache(r));
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
    }),
  };
  const events = { record: vi.fn(async () => undefined) };
  const reconciler = new ModelDeploymentReconciler({
    client: client as unknown as KubeClient,
    caches: {
      modelDeployments: mdeps,
      trainingJobs,
      dataSets,
      trainingSearches,
      pods: new FakeCache(RESOURCES.Pod),
      nodes: new FakeCache(RESOURCES.Node),
      owned,
    },
    events: events as unknown as EventRecorder,
    runtimeImage: "registry.local/liftoff-runtime:1",
    capabilities: NO_CAPS,
    now: () => "2026-12-07T10:00:00Z",
    clockMs: () => Date.parse("2026-12-07T10:00:00Z"),
    loop: { periodSeconds: 60 },
  });
  return {
    reconcile: () => reconciler.reconcile(KEY, { log, signal: new AbortController().signal }),
    writes: () => calls.splice(0),
    events: () =>
      events.record.mock.calls.map((c) => {
        const [, type, reason, message] = c as unknown as [unknown, string, string, string];
        return `${type} ${reason}: ${message}`;
      }),
    mdeps,
    trainingSearches,
    /** The watch events of what was applied (Deployments ready), and the status written stored. */
    echo(applied: Call[]) {
      for (const c of applied.filter((x) => x.verb === "apply" && !x.subresource)) {
        const obj = { ...c.body, metadata: { ...c.body?.metadata, resourceVersion: "echo", generation: 1 } };
        const cache = owned.find((o) => o.resource === c.resource) as FakeCache | undefined;
        cache?.set(c.resource === RESOURCES.Deployment ? { ...obj, status: ready } : obj);
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
const condition = (calls: Call[], type: string) => statusOf(calls)?.conditions?.find((c) => c.type === type);
const modelEnv = (calls: Call[], deployment: string) => {
  const dep = calls.find((c) => c.resource === RESOURCES.Deployment && c.name === deployment)?.body as
    | { spec?: { template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } } }
    | undefined;
  return dep?.spec?.template?.spec?.containers?.[0]?.env?.find((e) => e.name === "LIFTOFF_MODEL_URI")?.value;
};

describe("ModelDeploymentReconciler: model.trainingSearchRef", () => {
  it("waits while the search runs (SearchNotFinished, no children), then serves its best trial once it succeeds", async () => {
    const h = harness(mdep(), RUNNING);
    const specBefore = structuredClone(h.mdeps.get(KEY)?.spec);
    await h.reconcile();
    const w1 = h.writes();
    expect(summary(w1)).toEqual(["apply ModelDeployment digits/status"]);
    expect(condition(w1, "Ready")).toMatchObject({
      status: "False",
      reason: Reason.SearchNotFinished,
      message:
        "TrainingSearch digits-search has not finished (phase Running, 4 of 16 trials, 2 running, best val_accuracy 0.91 by digits-search-1); waiting for its best model",
    });
    expect(condition(w1, "Reconciling")).toMatchObject({ status: "True", reason: Reason.SearchNotFinished });
    expect(condition(w1, "Stalled")).toBeUndefined();
    // Waiting is not a failure: no Warning.
    expect(h.events()).toEqual([]);
    h.echo(w1);

    // The search succeeds: its best trial's model is served, as trainingJobRef would serve it.
    h.trainingSearches.set(SUCCEEDED);
    await h.reconcile();
    const w2 = h.writes();
    expect(summary(w2)).toEqual([
      "apply ServiceAccount digits-runtime",
      "apply Deployment digits-predictor",
      "apply Service digits",
      "apply NetworkPolicy digits",
    ]);
    expect(modelEnv(w2, "digits-predictor")).toBe(TRIAL_URI);
    h.echo(w2);
    await h.reconcile();
    const w3 = h.writes();
    expect(summary(w3)).toEqual(["apply ModelDeployment digits/status"]);
    expect(condition(w3, "Ready")).toMatchObject({ status: "True", reason: Reason.Available });
    expect(statusOf(w3)?.model).toEqual({
      name: "digits",
      uri: TRIAL_URI,
      digest: DIGEST("3"),
      summary: "search digits-search → trial digits-search-3",
    });
    h.echo(w3);
    // Settled: nothing more to write; the spec was never written.
    await h.reconcile();
    expect(h.writes()).toEqual([]);
    expect(h.mdeps.get(KEY)?.spec).toEqual(specBefore);
  });

  it("stalls with the search's reason when the search failed, with a Warning", async () => {
    const failed = search({
      phase: "Failed",
      conditions: [
        cond("Ready", "False", Reason.NoTrialSucceeded, "every trial ended without a result"),
        cond("Stalled", "True", Reason.NoTrialSucceeded, "every trial ended without a result"),
      ],
    });
    const h = harness(mdep(), failed);
    await h.reconcile();
    const w = h.writes();
    expect(summary(w)).toEqual(["apply ModelDeployment digits/status"]);
    const message =
      "TrainingSearch digits-search failed without a model to serve (NoTrialSucceeded): every trial ended without a result";
    expect(condition(w, "Ready")).toMatchObject({ status: "False", reason: Reason.NoTrialSucceeded, message });
    expect(condition(w, "Stalled")).toMatchObject({ status: "True", reason: Reason.NoTrialSucceeded });
    expect(h.events()).toEqual([`Warning ${Reason.NoTrialSucceeded}: ${message}`]);
  });

  it("reports a missing search as ModelNotReady without creating children", async () => {
    const h = harness(mdep());
    await h.reconcile();
    const w = h.writes();
    expect(summary(w)).toEqual(["apply ModelDeployment digits/status"]);
    expect(condition(w, "Ready")).toMatchObject({
      reason: Reason.ModelNotReady,
      message: "TrainingSearch digits-search not found; create it or fix model.trainingSearchRef",
    });
  });

  it("serves a canary from a finished search, and keeps the canary back while its search runs", async () => {
    const spec = {
      model: { trainingJobRef: { name: "digits-search-3" }, format: "tfjs-layers" as const },
      canary: {
        model: { trainingSearchRef: { name: "digits-search" }, format: "tfjs-layers" as const },
        trafficPercent: 10,
      },
    };
    const running = harness(mdep(spec), RUNNING);
    await running.reconcile();
    const w1 = running.writes();
    expect(summary(w1)).toContain("apply Deployment digits-predictor");
    expect(summary(w1)).not.toContain("apply Deployment digits-canary");
    const done = harness(mdep(spec), SUCCEEDED);
    await done.reconcile();
    const w2 = done.writes();
    expect(modelEnv(w2, "digits-canary")).toBe(TRIAL_URI);
  });

  it("retrains a copy of the best trial: its DataSet and its spec with the winning parameters", async () => {
    const h = harness(mdep({ retrain: {} }, "go"), SUCCEEDED);
    await h.reconcile();
    const w = h.writes();
    expect(summary(w).filter((s) => /DataSet|TrainingJob/.test(s))).toEqual([
      "apply DataSet digits-loop-1",
      "apply TrainingJob digits-loop-1",
    ]);
    const tj = w.find((c) => c.resource === RESOURCES.TrainingJob)?.body as TrainingJob;
    expect(tj.spec.model?.layers?.[0]).toMatchObject({ units: 48 });
    expect(tj.spec.hyperparameters.learningRate).toBe(0.0042);
    expect(tj.spec.dataSetRef.name).toBe("digits-loop-1");
    const ds = w.find((c) => c.resource === RESOURCES.DataSet)?.body as DataSet | undefined;
    expect(ds?.spec.output.path).toBe("digits-loop-1");
    expect(statusOf(w)?.loop).toMatchObject({ stage: "Retraining", iteration: 1 });
  });

  it("keeps status.loop as it was while the search it serves has no model (no loop step)", async () => {
    const loop = { stage: "Watching" as const, iteration: 2 };
    const m = { ...mdep({ retrain: {} }, "again"), status: { loop } } as ModelDeployment;
    const h = harness(m, RUNNING);
    await h.reconcile();
    const w = h.writes();
    expect(summary(w)).toEqual(["apply ModelDeployment digits/status"]);
    expect(statusOf(w)?.loop).toEqual(loop);
  });
});
