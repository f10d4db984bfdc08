// The ErasureRequest's pure parts and the lineage builders of the other kinds: the erase Job (the DataSet's pod, owned
// by the request, the subjects as a Vault reference only), the status from each stage, the DataSet following a
// rewrite, and ErasurePending on TrainingJobs and ModelDeployments.
import { describe, expect, it } from "vitest";
import type { DataSet, ErasureRequest, ModelDeployment, TrainingJob } from "../api/v1alpha1/index.js";
import type { ErasureOutcome } from "../contract/erasure.js";
import { followErasures } from "../dataset/erasure.js";
import { withErasurePending } from "../modeldeployment/erasure.js";
import { nextLoopStep } from "../modeldeployment/loop/machine.js";
import { erasureCandidate } from "../modeldeployment/loop/runner.js";
import { ConditionType, Reason } from "../reasons.js";
import { erasureCondition } from "../trainingjob/erasure.js";
import { eraseJob, retrainJob } from "./desired.js";
import { erasureLabels, erasureNames } from "./names.js";
import { computeStatus } from "./status.js";

const now = () => "2026-12-07T10:00:00Z";
const D = (c: string) => `sha256:${c.repeat(64)}`;
const OLD = D("a");
const NEW = D("b");

const ds = (privacy?: DataSet["spec"]["privacy"], status: DataSet["status"] = {}): DataSet =>
  ({
    metadata: { name: "penguins", namespace: "ml", uid: "ds-uid", generation: 1 },
    spec: {
      source: { inline: { data: "x" } },
      format: "csv",
      schema: { target: "species", columns: [{ name: "species", type: "category", pii: false }] },
      output: { claimName: "data", path: "penguins" },
      encryption: { transitKey: "k", vaultRole: "ml-dataset" },
      retainVersions: 3,
      ...(privacy ? { privacy } : {}),
    },
    status,
  }) as DataSet;

const request = (status?: ErasureRequest["status"]): ErasureRequest => ({
  metadata: { name: "forget", namespace: "ml", uid: "req-uid", generation: 1 },
  spec: { dataSetRef: { name: "penguins" }, subjects: { vaultSecret: { path: "secret/data/ml/erasure", key: "ids" } } },
  ...(status ? { status } : {}),
});

const tj = (name: string, dataSetDigest?: string, extra: Partial<TrainingJob> = {}): TrainingJob =>
  ({
    metadata: { name, namespace: "ml", generation: 1, ...extra.metadata },
    spec: { dataSetRef: { name: "penguins" }, task: "multiclass", model: { layers: [] }, hyperparameters: {} },
    status: dataSetDigest
      ? {
          phase: "Succeeded",
          model: { uri: "pvc://x", digest: D(name.length.toString(16)), dataSetDigest },
          ...extra.status,
        }
      : extra.status,
  }) as unknown as TrainingJob;

const outcome: ErasureOutcome = {
  found: [{ digest: OLD, rows: 3 }],
  rewritten: [{ from: OLD, to: NEW, rows: 330 }],
  shredded: [{ digest: OLD }],
  notIndexed: [],
};

const cond = (s: { conditions?: { type: string }[] } | undefined, type: string) =>
  s?.conditions?.find((c) => c.type === type) as { status: string; reason: string; message: string } | undefined;

describe("erase Job", () => {
  const vault = {
    address: "https://vault:8200",
    authMount: "kubernetes",
    caConfigMap: { name: "ca", key: "ca.crt" },
    tokenExpirationSeconds: 600,
  };
  const job = eraseJob(request(), ds({ subjectKey: "species", onErasure: "Flag" }), {
    runtimeImage: "img",
    report: { url: "https://op/v1/report", caPem: "PEM" },
    vault,
  }).object;

  it("runs erase as the DataSet's pod, owned by the request, named once per request", () => {
    expect(job.metadata?.name).toBe(erasureNames("forget").job);
    expect(job.metadata?.ownerReferences).toEqual([
      { apiVersion: "liftoff.dev/v1alpha1", kind: "ErasureRequest", name: "forget", uid: "req-uid", controller: true },
    ]);
    expect(job.metadata?.labels).toEqual(erasureLabels("forget"));
    const pod = job.spec.template.spec;
    expect(pod.serviceAccountName).toBe("penguins-dataset");
    expect(pod.containers[0].args).toEqual(["erase", "--out", "/data/output/penguins"]);
    const env = Object.fromEntries(
      pod.containers[0].env.map((e: { name: string; value?: string }) => [e.name, e.value]),
    );
    expect(JSON.parse(env.LIFTOFF_ERASURE)).toEqual({
      request: "forget",
      subjects: { path: "secret/data/ml/erasure", key: "ids" },
    });
    expect(env.LIFTOFF_VAULT_ROLE).toBe("ml-dataset");
  });

  it("a retrain copies the TrainingJob's spec, owned by the request", () => {
    const source = tj("model", OLD);
    const r = retrainJob(request(), source).object;
    expect(r.metadata?.name).toBe(erasureNames("forget").retrain("model"));
    expect(r.metadata?.name).toMatch(/^model-erased-[0-9a-f]{6}$/);
    expect(r.spec).toEqual(source.spec);
    expect(r.metadata?.ownerReferences?.[0]?.kind).toBe("ErasureRequest");
  });
});

describe("ErasureRequest status", () => {
  const base = { trainingJobs: [] as TrainingJob[], modelDeployments: [] as ModelDeployment[] };
  it.each([
    [
      "no DataSet",
      { blocked: { reason: Reason.DataSetNotFound, message: "m", waiting: true } },
      "False",
      Reason.DataSetNotFound,
      false,
    ],
    [
      "no index",
      { blocked: { reason: Reason.SubjectKeyNotIndexed, message: "m" } },
      "False",
      Reason.SubjectKeyNotIndexed,
      true,
    ],
    ["running", { job: { metadata: { name: "forget-erase" } } }, "False", Reason.Erasing, false],
    [
      "pod failed",
      { job: {}, failure: { reason: "VaultForbidden", message: "denied" } },
      "False",
      "VaultForbidden",
      true,
    ],
    [
      "job failed unreported",
      {
        job: {
          metadata: { name: "j" },
          status: { conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] },
        },
      },
      "False",
      Reason.Incomplete,
      true,
    ],
    ["erased", { outcome }, "True", Reason.Erased, false],
    ["not indexed", { outcome: { ...outcome, notIndexed: [D("c")] } }, "False", Reason.Incomplete, true],
  ] as const)("%s → Complete %s (%s)", (_, observed, status, reason, stalled) => {
    const s = computeStatus(request(), { ...base, ds: ds(), ...observed } as never, now);
    expect(cond(s, ConditionType.Complete)).toMatchObject({ status, reason });
    expect(cond(s, ConditionType.Ready)).toMatchObject({ status, reason });
    expect(cond(s, ConditionType.Stalled)?.status === "True").toBe(stalled);
  });

  it("keeps the record and flags the models trained on a found version and the ModelDeployments serving them", () => {
    const first = computeStatus(request(), { ...base, ds: ds(), outcome }, now);
    expect(first).toMatchObject({
      rowsFound: 3,
      versionsRewritten: 1,
      found: [{ version: "aaaaaaaaaaaa", digest: OLD, rows: 3 }],
      rewritten: [{ from: OLD, to: NEW, rows: 330 }],
      shredded: [{ version: "aaaaaaaaaaaa", digest: OLD }],
    });
    const trained = tj("model", OLD);
    const other = tj("other", D("e"));
    const mdep = {
      metadata: { name: "serve", namespace: "ml" },
      spec: { model: { trainingJobRef: { name: "model" } } },
      status: { model: { uri: "x", digest: trained.status?.model?.digest } },
    } as unknown as ModelDeployment;
    const again = computeStatus(
      request(first),
      { ...base, ds: ds(), trainingJobs: [trained, other], modelDeployments: [mdep] },
      now,
    );
    expect(again.found).toEqual(first.found);
    expect(again.flagged).toEqual([
      { kind: "TrainingJob", name: "model" },
      { kind: "ModelDeployment", name: "serve" },
    ]);
    expect(cond(again, ConditionType.Complete)).toMatchObject({ status: "True", reason: Reason.Erased });
  });

  it("with onErasure Retrain: Erasing until the retrain succeeds, Incomplete when it fails", () => {
    const withRecord = request(computeStatus(request(), { ...base, ds: ds(), outcome }, now));
    const retrainDs = ds({ subjectKey: "species", onErasure: "Retrain" });
    const trained = tj("model", OLD);
    const name = erasureNames("forget").retrain("model");
    const retrain = (phase?: string) =>
      tj(name, phase === "Succeeded" ? NEW : undefined, {
        metadata: {
          name,
          namespace: "ml",
          labels: erasureLabels("forget"),
          annotations: { "liftoff.dev/retrain-of": "model" },
        },
        status: {
          phase,
          ...(phase === "Failed"
            ? { conditions: [{ type: "Ready", status: "False", reason: "NaNLoss", message: "loss became NaN" }] }
            : {}),
        },
      } as never);
    const at = (r: TrainingJob[]) =>
      computeStatus(withRecord, { ...base, ds: retrainDs, trainingJobs: [trained, ...r] }, now);
    expect(cond(at([]), ConditionType.Complete)).toMatchObject({ status: "False", reason: Reason.Erasing });
    expect(cond(at([retrain("Running")]), ConditionType.Complete)?.reason).toBe(Reason.Erasing);
    const failed = at([retrain("Failed")]);
    expect(cond(failed, ConditionType.Complete)).toMatchObject({ status: "False", reason: Reason.Incomplete });
    expect(cond(failed, ConditionType.Complete)?.message).toContain("NaNLoss");
    expect(failed.flagged).toEqual([{ kind: "TrainingJob", name: "model" }]);
    const ok = at([retrain("Succeeded")]);
    expect(cond(ok, ConditionType.Complete)).toMatchObject({ status: "True", reason: Reason.Erased });
    expect(ok.retrained).toEqual([
      {
        trainingJob: "model",
        retrainedAs: name,
        from: OLD,
        to: NEW,
        model: retrain("Succeeded").status?.model?.digest,
      },
    ]);
  });
});

describe("lineage of a rewrite", () => {
  const recorded = request({
    found: [{ version: "aaaaaaaaaaaa", digest: OLD, rows: 3 }],
    rewritten: [{ from: OLD, to: NEW, rows: 330 }],
  });

  it("the DataSet shows the rewrite of its current version, and only that", () => {
    const status = {
      digest: OLD,
      version: "aaaaaaaaaaaa",
      output: "pvc://data/penguins/x",
      rows: { read: 344, dropped: 11, total: 333, train: 266, validation: 33, test: 34 },
    };
    const moved = followErasures(status, ds(), [recorded]);
    expect(moved).toMatchObject({
      digest: NEW,
      version: "bbbbbbbbbbbb",
      output: `pvc://data/penguins/${"b".repeat(64)}`,
      rows: { read: 341, total: 330 },
    });
    expect(moved.notes?.[0]).toContain("ErasureRequest forget");
    expect(followErasures(moved, ds(), [recorded])).toEqual(moved);
    expect(followErasures({ ...status, digest: D("c") }, ds(), [recorded]).digest).toBe(D("c"));
  });

  it("status.versions records the shredded version as Erased and lists its rewrite in its place", () => {
    const done = request({
      found: [{ version: "aaaaaaaaaaaa", digest: OLD, rows: 3 }],
      rewritten: [{ from: OLD, to: NEW, rows: 330 }],
      shredded: [{ version: "aaaaaaaaaaaa", digest: OLD, keyId: "0".repeat(32) }],
      conditions: [
        {
          type: "Complete",
          status: "True",
          reason: "Erased",
          message: "",
          lastTransitionTime: "2026-12-07T10:00:00Z",
          observedGeneration: 1,
        },
      ],
    } as unknown as ErasureRequest["status"]);
    const created = "2026-12-06T09:00:00Z";
    const older = {
      version: "c".repeat(12),
      digest: D("c"),
      created: "2026-12-05T09:00:00Z",
      state: "Retained" as const,
    };
    const status = {
      digest: OLD,
      version: "aaaaaaaaaaaa",
      versions: [
        { version: "aaaaaaaaaaaa", digest: OLD, created, keyId: "0".repeat(32), state: "Current" as const },
        older,
      ],
    };
    const moved = followErasures(status, ds(), [done]);
    expect(moved.versions).toEqual([
      { version: "bbbbbbbbbbbb", digest: NEW, created, state: "Current" },
      older,
      {
        version: "aaaaaaaaaaaa",
        digest: OLD,
        created,
        keyId: "0".repeat(32),
        state: "Shredded",
        shredded: "2026-12-07T10:00:00Z",
        reason: "Erased",
      },
    ]);
    // Idempotent: a second reconcile changes nothing; a request that only found (no rewrite yet) changes nothing.
    expect(followErasures(moved, ds(), [done])).toEqual(moved);
    expect(
      followErasures(status, ds(), [
        request({ found: [{ version: "aaaaaaaaaaaa", digest: OLD, rows: 3 }] } as unknown as ErasureRequest["status"]),
      ]).versions,
    ).toEqual(status.versions);
  });

  it("a finished TrainingJob trained on a found version is ErasurePending; others and retrains are not", () => {
    expect(erasureCondition(tj("model", OLD), [recorded])).toMatchObject({
      type: ConditionType.ErasurePending,
      status: "True",
      reason: Reason.ErasureRequested,
    });
    expect(erasureCondition(tj("model", NEW), [recorded])).toBeUndefined();
    expect(erasureCondition(tj("running"), [recorded])).toBeUndefined();
    const r = tj("r", OLD, { metadata: { name: "r", namespace: "ml", labels: erasureLabels("forget") } } as never);
    expect(erasureCondition(r, [recorded])).toBeUndefined();
  });

  it("a ModelDeployment is ErasurePending while it serves a flagged model, ErasureResolved after", () => {
    const flagged = tj("model", OLD, {
      status: {
        conditions: [{ type: "ErasurePending", status: "True", reason: "ErasureRequested", message: "trained on …" }],
      },
    } as never);
    const mdep = {
      metadata: { name: "serve", namespace: "ml", generation: 2 },
      spec: { model: { trainingJobRef: { name: "model" } } },
    } as unknown as ModelDeployment;
    const serving = withErasurePending(
      { model: { name: "model", uri: "x", digest: flagged.status?.model?.digest ?? "" } },
      mdep,
      [flagged],
      now,
    );
    expect(cond(serving, ConditionType.ErasurePending)).toMatchObject({
      status: "True",
      reason: Reason.ErasureRequested,
    });
    const promoted = withErasurePending(
      { ...serving, model: { name: "other", uri: "y", digest: D("f") } },
      mdep,
      [flagged],
      now,
    );
    expect(cond(promoted, ConditionType.ErasurePending)).toMatchObject({
      status: "False",
      reason: Reason.ErasureResolved,
    });
    const never = withErasurePending({ model: { name: "other", uri: "y", digest: D("f") } }, mdep, [flagged], now);
    expect(cond(never, ConditionType.ErasurePending)).toBeUndefined();
  });
});

describe("the canary rollout of a retrain (ModelDeployment spec.retrain)", () => {
  const flagged = tj("model", OLD, {
    status: { conditions: [{ type: "ErasurePending", status: "True", reason: "ErasureRequested", message: "m" }] },
  } as never);
  const name = erasureNames("forget").retrain("model");
  const retrained = tj(name, NEW, {
    metadata: {
      name,
      namespace: "ml",
      labels: erasureLabels("forget"),
      annotations: { "liftoff.dev/retrain-of": "model" },
    },
  } as never);
  const mdep = (status: ModelDeployment["status"] = {}): ModelDeployment =>
    ({
      metadata: { name: "serve", namespace: "ml", generation: 1 },
      spec: { model: { trainingJobRef: { name: "model" }, format: "tfjs-layers" }, retrain: {} },
      status,
    }) as unknown as ModelDeployment;

  it("offers the succeeded retrain of the flagged model it serves, once", () => {
    const c = erasureCandidate(mdep(), [flagged, retrained]);
    expect(c).toEqual({
      request: "forget",
      trainingJob: name,
      uri: "pvc://x",
      digest: retrained.status?.model?.digest,
      dataDigest: NEW,
    });
    expect(erasureCandidate(mdep(), [tj("model", OLD), retrained])).toBeUndefined(); // not flagged
    expect(
      erasureCandidate(mdep(), [flagged, { ...retrained, status: { phase: "Running" } } as never]),
    ).toBeUndefined();
    const tried = {
      loop: {
        stage: "RolledBack" as const,
        iteration: 1,
        history: [
          {
            iteration: 1,
            trigger: "Erasure",
            decision: "rollback",
            reason: "r",
            modelDigest: retrained.status?.model?.digest ?? "",
            at: "t",
          },
        ],
      },
    };
    expect(erasureCandidate(mdep(tried), [flagged, retrained])).toBeUndefined();
  });

  it("starts a loop at Canary with the retrain as the candidate; promotion serves it", () => {
    const e = erasureCandidate(mdep(), [flagged, retrained]);
    const o = {
      nowMs: Date.parse("2026-12-07T10:00:00Z"),
      periodSeconds: 60,
      templates: { names: {} },
      children: [],
      canaryReady: false,
    };
    const step = nextLoopStep(mdep({ loop: { stage: "Watching", iteration: 0 } }), {
      ...o,
      ...(e ? { erasure: e } : {}),
    });
    expect(step.actions).toEqual([]); // nothing to prepare or train: the request trained it
    expect(step.loop).toMatchObject({
      stage: "Canary",
      iteration: 1,
      trigger: { reason: "Erasure" },
      trainingJob: name,
      candidate: { uri: "pvc://x", digest: retrained.status?.model?.digest },
    });
    const judged = nextLoopStep(mdep(step.loop ? { loop: step.loop } : {}), {
      ...o,
      canaryReady: true,
      judged: {
        verdict: { decision: "promote", reason: Reason.CanaryNotWorse, message: "not worse" },
        figures: {
          stable: { pods: 1, feedback: 50, correct: 40, requests: 60, errors: 0 },
          canary: { pods: 1, feedback: 50, correct: 41, requests: 60, errors: 0 },
        },
      },
    });
    expect(judged.loop).toMatchObject({
      stage: "Promoted",
      promoted: { trainingJob: name, digest: retrained.status?.model?.digest },
    });
  });
});
