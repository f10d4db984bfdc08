// The TrainingSearch's own parts (the algorithms have theirs in algorithm/): a trial as created (parameters set at
// their paths, owned, labelled, annotated), what the search reads of a trial, the plan (stop, create within
// parallelism and budget, done, failed out), the status, and the reconciler over fake caches and a fake API client:
// trials by POST only, AlreadyExists taken as "made before", a loser suspended, nothing written when nothing changed.
import pino from "pino";
import { describe, expect, it } from "vitest";
import type { TrainingJob, TrainingSearch } from "../api/v1alpha1/index.js";
import type { EventRecorder } from "../controller/events.js";
import { FakeCache } from "../controller/fake-cache.js";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import { RESOURCES } from "../kube/resources.js";
import { ConditionType, Reason } from "../reasons.js";
import { setParameter, trialObject } from "./desired.js";
import { ANNOTATION_STOPPED_EARLY, ANNOTATION_TRIAL_PARAMETERS, LABEL_SEARCH, LABEL_TRIAL_INDEX } from "./names.js";
import { bestTrial, goalOf, observeTrial, type Trial } from "./observe.js";
import { budgetOf, plan } from "./plan.js";
import { TrainingSearchReconciler } from "./reconciler.js";
import { computeStatus } from "./status.js";

const now = () => "2026-12-07T12:00:00Z";
const log = pino({ level: "silent" });

const search = (spec: Partial<TrainingSearch["spec"]> = {}, status?: TrainingSearch["status"]): TrainingSearch => ({
  apiVersion: "liftoff.dev/v1alpha1",
  kind: "TrainingSearch",
  metadata: { name: "s", namespace: "ml", uid: "search-uid", generation: 1 },
  spec: {
    template: {
      spec: {
        dataSetRef: { name: "penguins" },
        task: "multiclass",
        model: {
          layers: [
            { type: "dense", units: 16, activation: "relu" },
            { type: "dropout", rate: 0.1 },
          ],
        },
        hyperparameters: { optimizer: "adam", learningRate: 0.01, epochs: 27, batchSize: 16, seed: 7 },
      },
    } as TrainingSearch["spec"]["template"],
    parameters: [
      { name: "learningRate", path: "hyperparameters.learningRate", float: { min: 0.001, max: 0.1, log: true } },
      { name: "units", path: "model.layers[0].units", int: { values: [8, 32] } },
      { name: "dropout", path: "model.layers[1].rate", float: { values: [0, 0.5] } },
      { name: "optimizer", path: "hyperparameters.optimizer", categorical: { values: ["adam", "sgd"] } },
    ],
    objective: { metric: "val_accuracy" },
    algorithm: { name: "random", seed: 3 },
    maxTrials: 4,
    parallelism: 2,
    ...spec,
  },
  ...(status ? { status } : {}),
});

/** A trial TrainingJob as the cluster would show it, with a val_accuracy curve. */
function trial(
  index: number,
  curve: number[],
  phase: "Running" | "Succeeded" | "Failed" = "Running",
  extra: { stopped?: string; epochs?: number } = {},
): TrainingJob {
  const s = search();
  const tj = trialObject(s, index, { learningRate: 0.01 * (index + 1), units: 8, dropout: 0, optimizer: "adam" });
  tj.metadata = { ...tj.metadata, uid: `uid-${index}`, generation: 1 };
  if (extra.stopped)
    tj.metadata.annotations = { ...tj.metadata.annotations, [ANNOTATION_STOPPED_EARLY]: extra.stopped };
  tj.status = {
    phase,
    progress: { epoch: extra.epochs ?? curve.length, epochs: 27, percentage: 0 },
    history: { stride: 1, epochs: curve.map((v, i) => ({ epoch: i + 1, metrics: { val_accuracy: v } })) },
    ...(phase === "Succeeded"
      ? { model: { uri: `pvc://d/models/s-${index}/abc`, digest: `sha256:${"d".repeat(64)}`, version: "v1" } }
      : {}),
    ...(phase === "Failed"
      ? {
          conditions: [
            {
              type: "Failed",
              status: "True",
              reason: "NaNLoss",
              message: "loss became NaN at epoch 2",
              lastTransitionTime: now(),
            },
          ],
        }
      : {}),
  };
  return tj;
}
const observe = (tj: TrainingJob) => observeTrial(tj, "val_accuracy") as Trial;

describe("a trial as created", () => {
  const s = search();
  const tj = trialObject(s, 3, { learningRate: 0.05, units: 32, dropout: 0.5, optimizer: "sgd" });

  it("is the template with each parameter at its path, and nothing else changed", () => {
    expect(tj.spec.hyperparameters.learningRate).toBe(0.05);
    expect(tj.spec.hyperparameters.optimizer).toBe("sgd");
    expect(tj.spec.model?.layers?.[0]).toEqual({ type: "dense", units: 32, activation: "relu" });
    expect(tj.spec.model?.layers?.[1]).toEqual({ type: "dropout", rate: 0.5 });
    expect(tj.spec.hyperparameters.epochs).toBe(27);
    expect(tj.spec.hyperparameters.seed).toBe(7);
    // The template itself is untouched.
    expect(s.spec.template.spec.model?.layers?.[0]?.units).toBe(16);
  });

  it("is named by its index, labelled, annotated with its parameters, and owned by the search", () => {
    expect(tj.metadata?.name).toBe("s-3");
    expect(tj.metadata?.labels).toMatchObject({ [LABEL_SEARCH]: "s", [LABEL_TRIAL_INDEX]: "3" });
    expect(JSON.parse(tj.metadata?.annotations?.[ANNOTATION_TRIAL_PARAMETERS] ?? "")).toEqual({
      learningRate: 0.05,
      units: 32,
      dropout: 0.5,
      optimizer: "sgd",
    });
    expect(tj.metadata?.ownerReferences).toEqual([
      {
        apiVersion: "liftoff.dev/v1alpha1",
        kind: "TrainingSearch",
        name: "s",
        uid: "search-uid",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it("logs in with the template's vaultRole, else the search's one role", () => {
    expect(tj.spec.vaultRole).toBe("liftoff-ml-s-train");
    const own = search();
    own.spec.template.spec.vaultRole = "team-train";
    expect(trialObject(own, 0, {}).spec.vaultRole).toBe("team-train");
  });

  it("refuses a layer the template does not have (the CRD's rule, checked again)", () => {
    const spec = structuredClone(s.spec.template.spec);
    expect(() => setParameter(spec, "model.layers[5].units", 3)).toThrow(/no such layer/);
  });
});

describe("what the search reads of a trial", () => {
  it("the goal: as given, else by the metric's kind", () => {
    expect(goalOf(search())).toBe("maximize");
    expect(goalOf(search({ objective: { metric: "val_loss" } }))).toBe("minimize");
    expect(goalOf(search({ objective: { metric: "val_mae" } }))).toBe("minimize");
    expect(goalOf(search({ objective: { metric: "val_loss", goal: "maximize" } }))).toBe("maximize");
  });

  it("states, curves and the objective (the last epoch's value, finished trials only)", () => {
    const done = observe(trial(0, [0.5, 0.7, 0.9], "Succeeded"));
    expect(done.observation).toMatchObject({ index: 0, state: "Succeeded", objective: 0.9 });
    expect(done.observation.curve).toEqual([
      { epoch: 1, value: 0.5 },
      { epoch: 2, value: 0.7 },
      { epoch: 3, value: 0.9 },
    ]);
    expect(done.observation.parameters).toEqual({ learningRate: 0.01, units: 8, dropout: 0, optimizer: "adam" });
    const running = observe(trial(1, [0.6]));
    expect(running.observation.state).toBe("Running");
    expect(running.observation.objective).toBeUndefined();
    expect(observe(trial(2, [0.4], "Running", { stopped: "halted" })).observation.state).toBe("StoppedEarly");
    // Stopped too late: it had run to its end, and counts as such.
    expect(observe(trial(3, [0.4], "Succeeded", { stopped: "halted" })).observation.state).toBe("Succeeded");
    expect(observe(trial(4, [0.4], "Failed")).observation.state).toBe("Failed");
  });

  it("the best: finished trials only, by the goal, the earliest on a tie", () => {
    const trials = [
      observe(trial(0, [0.8], "Succeeded")),
      observe(trial(1, [0.95], "Running")),
      observe(trial(2, [0.9], "Succeeded")),
      observe(trial(3, [0.9], "Succeeded")),
    ];
    expect(bestTrial(trials, "maximize")?.observation.index).toBe(2);
    expect(bestTrial(trials, "minimize")?.observation.index).toBe(0);
    expect(bestTrial([trials[1] as Trial], "maximize")).toBeUndefined();
  });
});

describe("the plan", () => {
  it("creates up to parallelism trials, by the next indices", () => {
    expect(plan(search(), [], "maximize")).toMatchObject({ create: [0, 1], stop: [], done: false, budget: 4 });
    const one = [observe(trial(0, [0.5]))];
    expect(plan(search(), one, "maximize").create).toEqual([1]);
    // A trial deleted by hand keeps its index used.
    expect(plan(search(), [observe(trial(2, [0.5], "Succeeded"))], "maximize").create).toEqual([3]);
  });

  it("stops at the budget, or the grid's end, and is done when nothing runs", () => {
    const all = [0, 1, 2, 3].map((i) => observe(trial(i, [0.5], "Succeeded")));
    expect(plan(search(), all, "maximize")).toMatchObject({ create: [], done: true });
    expect(plan(search(), all.slice(0, 3), "maximize")).toMatchObject({ create: [3], done: false });
    const grid = search({ algorithm: { name: "grid", seed: 0 }, maxTrials: 100 });
    grid.spec.parameters = grid.spec.parameters.filter((p) => p.name !== "learningRate");
    expect(budgetOf(grid)).toBe(8);
  });

  it("fails out once more than maxFailedTrials failed, and starts nothing more", () => {
    const failed = [0, 1, 2].map((i) => observe(trial(i, [], "Failed")));
    expect(plan(search(), failed, "maximize")).toMatchObject({ failedOut: true, create: [], done: true });
    expect(plan(search({ maxFailedTrials: 3 }), failed, "maximize")).toMatchObject({ failedOut: false, create: [3] });
  });

  it("stops a trial that successive halving says is behind, and fills its slot", () => {
    const s = search({
      earlyStopping: { rule: "successiveHalving", minEpochs: 3, reductionFactor: 3, startupTrials: 5 },
      maxTrials: 8,
    });
    const trials = [
      observe(trial(0, [0.9, 0.9, 0.9, 0.9], "Succeeded")),
      observe(trial(1, [0.8, 0.85, 0.95, 0.95], "Succeeded")),
      observe(trial(2, [0.85, 0.9, 0.92], "Succeeded")),
      observe(trial(3, [0.1, 0.1, 0.1])),
      observe(trial(4, [0.9])),
    ];
    const p = plan(s, trials, "maximize");
    expect(p.stop.map((x) => x.trial.observation.index)).toEqual([3]);
    expect(p.stop[0]?.reason).toMatch(/^successiveHalving at epoch 3/);
    expect(p.create).toEqual([5]); // trial 4 still runs: one slot of two is free

    // The same trial seen after its last epoch (its model being published: 99 %, then 100 %) is left to finish.
    for (const percentage of [99, 100]) {
      const finishing = trial(3, [0.1, 0.1, 0.1], "Running", { epochs: 27 });
      if (finishing.status?.progress) finishing.status.progress.percentage = percentage;
      expect(plan(s, [...trials.slice(0, 3), observe(finishing), trials[4] as Trial], "maximize").stop).toEqual([]);
    }
  });
});

describe("status", () => {
  it("while running: counts, the best so far, Reconciling", () => {
    const trials = [observe(trial(0, [0.5, 0.9], "Succeeded")), observe(trial(1, [0.6]))];
    const s = search();
    const st = computeStatus(s, { trials, goal: "maximize", plan: plan(s, trials, "maximize") }, now);
    expect(st.phase).toBe("Running");
    expect(st.trials).toEqual({ total: 2, running: 1, stoppedEarly: 0, succeeded: 1, failed: 0 });
    expect(st.best).toMatchObject({ trial: "s-0", index: 0, objective: 0.9, shortObjective: "0.9" });
    expect(st.best?.parameters).toEqual({ learningRate: "0.01", units: "8", dropout: "0", optimizer: "adam" });
    expect(st.epochsTrained).toBe(3);
    expect(st.model).toBeUndefined();
    const ready = st.conditions?.find((c) => c.type === ConditionType.Ready);
    expect(ready).toMatchObject({ status: "False", reason: Reason.Searching });
    expect(ready?.message).toMatch(/best val_accuracy 0\.9 by s-0 \(learningRate=0\.01, units=8/);
    expect(st.conditions?.find((c) => c.type === ConditionType.Reconciling)?.status).toBe("True");
  });

  it("once over: the best trial's model is the search's, with its parameters", () => {
    const trials = [
      observe(trial(0, [0.5, 0.9], "Succeeded")),
      observe(trial(1, [0.95, 0.97], "Succeeded")),
      observe(trial(2, [0.2], "Running", { stopped: "successiveHalving at epoch 1: …" })),
      observe(trial(3, [], "Failed")),
    ];
    const s = search();
    const st = computeStatus(s, { trials, goal: "maximize", plan: plan(s, trials, "maximize") }, now);
    expect(st.phase).toBe("Succeeded");
    expect(st.model).toEqual({
      trainingJob: "s-1",
      uri: "pvc://d/models/s-1/abc",
      digest: `sha256:${"d".repeat(64)}`,
      version: "v1",
      parameters: { learningRate: "0.02", units: "8", dropout: "0", optimizer: "adam" },
      objective: 0.97,
    });
    expect(st.trialRecords?.map((r) => r.state)).toEqual(["Succeeded", "Succeeded", "StoppedEarly", "Failed"]);
    expect(st.trialRecords?.[2]?.reason).toMatch(/^successiveHalving/);
    expect(st.trialRecords?.[3]?.reason).toBe("NaNLoss: loss became NaN at epoch 2");
    expect(st.conditions?.find((c) => c.type === ConditionType.Ready)).toMatchObject({
      status: "True",
      reason: Reason.Succeeded,
    });
    expect(st.conditions?.some((c) => c.type === ConditionType.Reconciling)).toBe(false);
  });

  it("fails with the reason: too many failed trials, or none finished", () => {
    const failed = [0, 1, 2].map((i) => observe(trial(i, [], "Failed")));
    const s = search();
    const st = computeStatus(s, { trials: failed, goal: "maximize", plan: plan(s, failed, "maximize") }, now);
    expect(st.phase).toBe("Failed");
    expect(st.conditions?.find((c) => c.type === ConditionType.Stalled)).toMatchObject({
      status: "True",
      reason: Reason.TooManyTrialsFailed,
    });
    const stopped = [0, 1, 2, 3].map((i) => observe(trial(i, [0.1], "Running", { stopped: "x" })));
    const st2 = computeStatus(s, { trials: stopped, goal: "maximize", plan: plan(s, stopped, "maximize") }, now);
    expect(st2.conditions?.find((c) => c.type === ConditionType.Ready)?.reason).toBe(Reason.NoTrialSucceeded);
  });
});

describe("the reconciler", () => {
  function setup(s: TrainingSearch, existing: TrainingJob[] = [], conflict = new Set<string>()) {
    const searches = new FakeCache(RESOURCES.TrainingSearch, [s]);
    const trainingJobs = new FakeCache(RESOURCES.TrainingJob, existing);
    const calls: { verb: string; name: string; body?: unknown }[] = [];
    const client = {
      create: async (_r: unknown, obj: TrainingJob) => {
        calls.push({ verb: "create", name: obj.metadata?.name ?? "" });
        if (conflict.has(obj.metadata?.name ?? ""))
          throw new KubeApiError(409, { message: "exists" } as never, "POST", "/trainingjobs");
        const made = { ...obj, metadata: { ...obj.metadata, uid: `uid-${obj.metadata?.name}` } };
        trainingJobs.set(made); // the informer's echo
        return made;
      },
      mergePatch: async (_r: unknown, _ns: string, name: string, body: unknown) => {
        calls.push({ verb: "patch", name, body });
        return {};
      },
      apply: async (_r: unknown, body: TrainingSearch) => {
        calls.push({ verb: "status", name: body.metadata?.name ?? "", body });
        searches.set({ ...s, ...(body.status ? { status: body.status } : {}) });
        return body;
      },
    };
    const events: string[] = [];
    const recorder = { record: async (_o: unknown, _t: string, reason: string) => void events.push(reason) };
    const reconciler = new TrainingSearchReconciler({
      client: client as unknown as KubeClient,
      searches,
      trainingJobs,
      events: recorder as unknown as EventRecorder,
      now,
    });
    const run = () => reconciler.reconcile("ml/s", { log, signal: new AbortController().signal } as never);
    return { calls, events, run, searches };
  }

  it("creates the first trials by POST, writes the status, and writes nothing on a reconcile that changes nothing", async () => {
    const s = search();
    const t = setup(s);
    await t.run();
    expect(t.calls.map((c) => `${c.verb} ${c.name}`)).toEqual(["create s-0", "create s-1", "status s"]);
    expect(t.events).toEqual([Reason.TrialCreated, Reason.TrialCreated]);
    const status = (t.calls[2]?.body as TrainingSearch | undefined)?.status;
    expect(status?.trials).toMatchObject({ total: 2, running: 2 });

    // The trials are in the cache now: nothing to create, nothing to write.
    t.calls.length = 0;
    await t.run();
    expect(t.calls).toEqual([]);
  });

  it("takes AlreadyExists as a trial made before (a restart), and creates no other in that pass", async () => {
    const t = setup(search(), [], new Set(["s-0"]));
    await t.run();
    expect(t.calls.map((c) => `${c.verb} ${c.name}`)).toEqual(["create s-0", "status s"]);
  });

  it("suspends a losing trial with its reason, and counts it as stopped", async () => {
    const s = search({
      earlyStopping: { rule: "successiveHalving", minEpochs: 3, reductionFactor: 3, startupTrials: 5 },
      maxTrials: 5,
    });
    const t = setup(s, [
      trial(0, [0.9, 0.9, 0.9], "Succeeded"),
      trial(1, [0.8, 0.9, 0.95], "Succeeded"),
      trial(2, [0.85, 0.9, 0.92], "Succeeded"),
      trial(3, [0.1, 0.1, 0.1]),
    ]);
    await t.run();
    const patch = t.calls.find((c) => c.verb === "patch");
    expect(patch?.name).toBe("s-3");
    expect(patch?.body).toMatchObject({
      metadata: { annotations: { [ANNOTATION_STOPPED_EARLY]: expect.stringMatching(/^successiveHalving at epoch 3/) } },
      spec: { runPolicy: { suspend: true } },
    });
    expect(t.events).toContain(Reason.TrialStoppedEarly);
    const status = (t.calls.find((c) => c.verb === "status")?.body as TrainingSearch | undefined)?.status;
    expect(status?.trials).toMatchObject({ stoppedEarly: 1, running: 1 }); // s-4 took the slot
    expect(t.calls.map((c) => `${c.verb} ${c.name}`)).toContain("create s-4");
  });

  it("leaves a finished search alone until its spec changes, then searches on keeping its last result", async () => {
    const done = computeStatus(
      search(),
      {
        trials: [0, 1, 2, 3].map((i) => observe(trial(i, [0.5 + i / 10], "Succeeded"))),
        goal: "maximize",
        plan: { budget: 4, failedOut: false, done: true },
      },
      now,
    );
    expect(done.phase).toBe("Succeeded");
    const finished = search({}, done);
    // A trial that changes afterwards (a stop that raced its end) moves nothing.
    const t = setup(
      finished,
      [0, 1, 2, 3].map((i) => trial(i, [0.9], "Succeeded")),
    );
    await t.run();
    expect(t.calls).toEqual([]);
    // maxTrials raised (a new generation): more trials, and the model stays the search's until it ends again.
    const more = search({ maxTrials: 6 }, done);
    more.metadata = { ...more.metadata, generation: 2 };
    const r = setup(
      more,
      [0, 1, 2, 3].map((i) => trial(i, [0.5 + i / 10], "Succeeded")),
    );
    await r.run();
    expect(r.calls.map((c) => `${c.verb} ${c.name}`)).toEqual(["create s-4", "create s-5", "status s"]);
    const st = (r.calls[2]?.body as TrainingSearch | undefined)?.status;
    expect(st?.phase).toBe("Running");
    expect(st?.model).toEqual(done.model);
  });

  it("refuses what the CRD cannot see, naming the parameter, and starts nothing", async () => {
    const s = search();
    s.spec.parameters = [
      {
        name: "learningRate",
        path: "hyperparameters.learningRate",
        float: { min: 0.001, max: 0.1, log: true, step: 0.01 },
      },
    ];
    const t = setup(s);
    await t.run();
    expect(t.calls.map((c) => c.verb)).toEqual(["status"]);
    const st = (t.calls[0]?.body as TrainingSearch | undefined)?.status;
    expect(st?.conditions?.find((c) => c.type === ConditionType.Stalled)).toMatchObject({
      reason: Reason.InvalidSpec,
      message: expect.stringMatching(/^spec\.parameters\[0\]\.float: .*step/),
    });
  });
});
