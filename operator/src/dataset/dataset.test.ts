import pino from "pino";
import { describe, expect, it } from "vitest";
import { PendingAccess } from "../access/pending.js";
import type { DataSet, ModelDeployment, TrainingJob } from "../api/v1alpha1/index.js";
import { FakeCache } from "../controller/fake-cache.js";
import type { Pod } from "../kube/models.js";
import { KubeApiError } from "../kube/request.js";
import { RESOURCES, type ResourceType } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { Reason } from "../reasons.js";
import { cleanupJob, needsVault, outputUri, prepareJob, serviceAccount } from "./desired.js";
import { terminatingStatus, usersOf, versionsInUse } from "./in-use.js";
import { dataSetNames, FINALIZER } from "./names.js";
import { DataSetReconciler } from "./reconciler.js";
import type { PrepareOutcome } from "./result.js";
import { outcomeOf } from "./result.js";
import { computeStatus, published } from "./status.js";

const ds = (over: Partial<DataSet["spec"]> = {}, status?: DataSet["status"]): DataSet =>
  ({
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "DataSet",
    metadata: { name: "penguins", namespace: "team-a", uid: "uid-1", generation: 2 },
    spec: {
      source: { pvc: { claimName: "raw", path: "penguins.csv" } },
      format: "csv",
      schema: { target: "species", columns: [{ name: "species", type: "category", pii: false }] },
      output: { claimName: "data", path: "prepared/penguins" },
      retainVersions: 3,
      ...over,
    },
    ...(status ? { status } : {}),
  }) as DataSet;

const settings = { url: "https://10.88.0.1:9443/v1/report", caPem: "PEM" };
const vault = { address: "https://10.88.0.1:8200", authMount: "kubernetes", tokenExpirationSeconds: 600 };
const now = () => "2026-12-01T00:00:00Z";
// biome-ignore lint/suspicious/noExplicitAny: reading into built objects
const podOf = (job: any) => job.spec.template.spec;

describe("DataSet desired objects", () => {
  it("runs prepare in a Job per generation under the DataSet's own ServiceAccount, restricted, with the report channel", () => {
    const job = prepareJob(ds(), { runtimeImage: "rt:1", report: settings }).object;
    expect(job.metadata.name).toBe("penguins-prepare-g2");
    expect(job.metadata.ownerReferences?.[0]).toMatchObject({ kind: "DataSet", uid: "uid-1", controller: true });
    const pod = podOf(job);
    expect(pod.serviceAccountName).toBe(serviceAccount(ds()).object.metadata.name);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    expect(c.args).toEqual(["prepare", "--out", "/data/output/prepared/penguins"]);
    expect(c.resources).toEqual({
      requests: { cpu: "1", memory: "1Gi", "ephemeral-storage": "1Gi" },
      limits: { cpu: "1", memory: "1Gi", "ephemeral-storage": "22Gi" },
    });
    const env = c.env.map((e: { name: string }) => e.name);
    expect(env).toContain("LIFTOFF_REPORT_URL");
    expect(env).not.toContain("LIFTOFF_VAULT_ADDR"); // this spec reads nothing from Vault
    expect(pod.volumes.find((v: { name: string }) => v.name === "source")).toEqual({
      name: "source",
      persistentVolumeClaim: { claimName: "raw", readOnly: true },
    });
    expect(job.spec.podFailurePolicy.rules[0]).toMatchObject({ action: "FailJob", onExitCodes: { values: [3] } });
  });

  it("finding: the prepare Job has no activeDeadlineSeconds, its scratch and tmp emptyDirs no sizeLimit and no ephemeral-storage limit", () => {
    for (const made of [
      prepareJob(ds(), { runtimeImage: "rt:1", report: settings }),
      cleanupJob(ds(), { runtimeImage: "rt:1" }),
    ]) {
      const job = made.object as KubeObject;
      expect(job.spec.activeDeadlineSeconds).toBe(21_600);
      const pod = podOf(job);
      const vol = (n: string) => pod.volumes.find((v: { name: string }) => v.name === n);
      expect(vol("scratch")).toEqual({ name: "scratch", emptyDir: { sizeLimit: "20Gi" } });
      expect(vol("tmp")).toEqual({ name: "tmp", emptyDir: { sizeLimit: "1Gi" } });
      expect(pod.containers[0].resources.limits["ephemeral-storage"]).toBe("22Gi");
      expect(pod.containers[0].resources.requests["ephemeral-storage"]).toBe("1Gi");
    }
  });

  it("adds the Vault identity only when the spec needs a secret or a key", () => {
    const enc = ds({ encryption: { transitKey: "k", vaultRole: "team-a-dataset" } });
    expect(needsVault(enc)).toBe(true);
    const env = podOf(prepareJob(enc, { runtimeImage: "rt:1", vault }).object).containers[0].env;
    expect(env).toContainEqual({ name: "LIFTOFF_VAULT_ROLE", value: "team-a-dataset" });
    expect(needsVault(ds())).toBe(false);
  });

  it("names long DataSets within 63 characters and the cleanup Job runs prepare --delete", () => {
    const long = "x".repeat(80);
    expect(dataSetNames(long).prepareJob(12).length).toBeLessThanOrEqual(63);
    expect(podOf(cleanupJob(ds(), { runtimeImage: "rt:1" }).object).containers[0].args).toEqual([
      "prepare",
      "--delete",
      "--out",
      "/data/output/prepared/penguins",
    ]);
  });
});

const outcome: PrepareOutcome = {
  digest: `sha256:${"ab".repeat(32)}`,
  rows: { read: 344, dropped: 11, total: 333, train: 266, validation: 34, test: 33 },
  task: "multiclass",
  columns: [{ name: "species", count: 266, nulls: 0, categories: { Adelie: 117 } }],
  notes: [],
  encrypted: false,
};
const cond = (s: DataSet["status"], type: string) => s?.conditions?.find((c) => c.type === type);

describe("DataSet status", () => {
  it("is Ready with rows, digest, version and output once the run reported success", () => {
    const s = computeStatus(ds(), { result: { jobUid: "j", phase: "succeeded", outcome } }, now);
    expect(cond(s, "Ready")).toMatchObject({ status: "True", reason: "Prepared", observedGeneration: 2 });
    expect(cond(s, "Ready")?.message).toBe("333 rows (train 266, validation 34, test 33) published as abababababab");
    expect(s).toMatchObject({ rows: outcome.rows, version: "abababababab", observedGeneration: 2 });
    expect(s.output).toBe(`pvc://data/prepared/penguins/${"ab".repeat(32)}`);
    expect(published(ds({}, s))).toBe(true);
    // Written once, the outcome stays although nothing is pending any more.
    expect(computeStatus(ds({}, s), {}, now)).toEqual(s);
  });

  it("is Failed with the run's reason, or JobFailed when the Job failed without a report, Progressing while it runs", () => {
    const failed = computeStatus(
      ds(),
      {
        job: { metadata: { name: "j" } },
        result: { jobUid: "j", phase: "failed", reason: "SchemaMismatch", message: "m" },
      },
      now,
    );
    expect(cond(failed, "Failed")).toMatchObject({ status: "True", reason: "SchemaMismatch", message: "m" });
    expect(cond(failed, "Stalled")?.status).toBe("True");
    const oom = computeStatus(
      ds(),
      {
        job: {
          metadata: { name: "j" },
          status: { conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "x" }] },
        },
      },
      now,
    );
    expect(cond(oom, "Failed")).toMatchObject({ status: "True", reason: "JobFailed" });
    expect(cond(oom, "Failed")?.message).toMatch(/delete the Job to retry/);
    const running = computeStatus(ds(), { job: { metadata: { name: "j" }, status: { active: 1, failed: 1 } } }, now);
    expect(cond(running, "Progressing")).toMatchObject({ status: "True", reason: "Preparing" });
    expect(cond(running, "Progressing")?.message).toMatch(/retrying after 1 failed attempt/);
  });

  it("a transient failure (Vault or the store not answering) is Progressing while the Job retries, not Failed; Failed with that reason once the Job gives up", () => {
    const job = { metadata: { name: "j" }, status: { active: 1, failed: 1 } };
    const message = "StorageUnreachable: s3://liftoff/raw/penguins.csv: the endpoint http://10.0.0.1:9 does not answer";
    const result = { jobUid: "j", phase: "failed" as const, reason: "StorageUnreachable", message };
    const retrying = computeStatus(ds(), { job, result }, now);
    expect(cond(retrying, "Failed")?.status).toBe("False");
    expect(cond(retrying, "Stalled")).toBeUndefined();
    expect(cond(retrying, "Progressing")).toMatchObject({ status: "True", reason: "StorageUnreachable" });
    expect(cond(retrying, "Progressing")?.message).toContain("s3://liftoff/raw/penguins.csv");
    expect(cond(retrying, "Progressing")?.message).toMatch(/retrying with back-off$/);
    // Later reconciles (no new report) keep saying why while the Job retries …
    expect(computeStatus(ds({}, retrying), { job }, now)).toEqual(retrying);
    // … the next attempt's success replaces it …
    const ok = computeStatus(ds({}, retrying), { job, result: { jobUid: "j", phase: "succeeded", outcome } }, now);
    expect(cond(ok, "Ready")?.status).toBe("True");
    // … and a Job that gave up fails with the transient reason, not "failed without reporting".
    const gaveUp = {
      ...job,
      status: { conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] },
    };
    const failed = computeStatus(ds({}, retrying), { job: gaveUp }, now);
    expect(cond(failed, "Failed")).toMatchObject({ status: "True", reason: "StorageUnreachable" });
    expect(cond(failed, "Failed")?.message).toContain("s3://liftoff/raw/penguins.csv");
    expect(cond(failed, "Failed")?.message).toMatch(/gave up \(BackoffLimitExceeded\)/);
    expect(cond(failed, "Failed")?.message).not.toMatch(/retrying with back-off/);
    // A permanent reason still fails at once.
    const denied = { ...result, reason: "StorageAccessDenied" };
    expect(cond(computeStatus(ds(), { job, result: denied }, now), "Failed")?.status).toBe("True");
  });

  it("refuses a malformed result from a pod", () => {
    expect(() => outcomeOf({ ...outcome, digest: "md5:1" })).toThrow(/bad DataSet result at \/digest/);
  });
});

/** A reconciler over one finalized DataSet and a client that records each write and its signal. */
function harness(
  refuse?: { kind: string; err: KubeApiError },
  o: {
    report?: boolean;
    status?: DataSet["status"];
    jobs?: KubeObject[];
    pods?: Pod[];
    deleting?: boolean;
    trainingJobs?: TrainingJob[];
    modelDeployments?: ModelDeployment[];
    access?: PendingAccess;
    created?: string;
    spec?: Partial<DataSet["spec"]>;
  } = { report: true },
) {
  const calls: Array<{ what: string; signal?: AbortSignal | undefined; body?: KubeObject }> = [];
  const answer = (what: string, r: ResourceType, obj: KubeObject, signal?: AbortSignal) => {
    calls.push({ what, signal, body: obj });
    if (refuse?.kind === r.kind) throw refuse.err;
    return { ...obj, metadata: { ...obj.metadata, uid: `uid-${obj.metadata?.name}`, resourceVersion: "2" } };
  };
  const client = {
    apply: async (r: ResourceType, obj: KubeObject, sub?: string, ro?: { signal?: AbortSignal }) =>
      answer(`apply ${r.kind}${sub ? `/${sub}` : ""}`, r, obj, ro?.signal),
    create: async (r: ResourceType, obj: KubeObject, ro?: { signal?: AbortSignal }) =>
      answer(`create ${r.kind}`, r, obj, ro?.signal),
    mergePatch: async (r: ResourceType, _ns: string, _name: string, patch: unknown) => {
      calls.push({ what: `patch ${r.kind}`, body: patch as KubeObject });
      return patch;
    },
  };
  const finalized = ds(o.spec ?? {}, o.status);
  finalized.metadata = {
    ...finalized.metadata,
    finalizers: [FINALIZER],
    ...(o.deleting ? { deletionTimestamp: "2026-12-01T00:00:00Z" } : {}),
    ...(o.created ? { creationTimestamp: o.created } : {}),
  };
  const r = new DataSetReconciler({
    client: client as never,
    dataSets: new FakeCache(RESOURCES.DataSet, [finalized]),
    jobs: new FakeCache(RESOURCES.Job, o.jobs ?? []),
    serviceAccounts: new FakeCache(RESOURCES.ServiceAccount),
    pods: new FakeCache(RESOURCES.Pod, o.pods ?? []),
    trainingJobs: new FakeCache(RESOURCES.TrainingJob, o.trainingJobs ?? []),
    modelDeployments: new FakeCache(RESOURCES.ModelDeployment, o.modelDeployments ?? []),
    events: { record: async () => {} } as never,
    runtimeImage: "rt:1",
    ...(o.report ? { report: settings } : {}),
    ...(o.access ? { access: o.access } : {}),
    // The report handler's wake-up: the controller would reconcile the key; here the test does it at once.
    enqueue: () => void r.reconcile("team-a/penguins", { log, signal: ac.signal }),
    now,
  });
  const ac = new AbortController();
  const log = pino({ level: "silent" });
  const reconcile = () => r.reconcile("team-a/penguins", { log, signal: ac.signal });
  return { calls, reconcile, signal: ac.signal, reconciler: r, log };
}

describe("DataSetReconciler", () => {
  it("applies its ServiceAccount, creates this generation's Job and writes status, each with the reconcile's signal", async () => {
    const h = harness();
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["apply ServiceAccount", "create Job", "apply DataSet/status"]);
    expect(h.calls.every((c) => c.signal === h.signal)).toBe(true);
  });

  it("a ServiceAccount the API server refuses for good blocks the DataSet with ApplyFailed", async () => {
    const err = new KubeApiError(403, { message: "exceeded quota" }, "PATCH", "/api/v1/…");
    const h = harness({ kind: "ServiceAccount", err });
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["apply ServiceAccount", "apply DataSet/status"]);
    const status = (h.calls[1]?.body as DataSet | undefined)?.status;
    const failed = status?.conditions?.find((c) => c.type === "Failed");
    expect(failed).toMatchObject({ status: "True", reason: Reason.ApplyFailed });
    expect(failed?.message).toBe("cannot create ServiceAccount penguins-dataset: exceeded quota");
  });

  it.each([
    ["published", { status: "published" }],
    ["preparing in a Job another operator created", { status: "none", job: true }],
  ] as const)("an operator without --report-url leaves a DataSet %s as it is", async (_case, c) => {
    const published = computeStatus(ds(), { result: { jobUid: "j", phase: "succeeded", outcome } }, now);
    const job = prepareJob(ds(), { runtimeImage: "rt:1", report: settings }).object as KubeObject;
    const h = harness(undefined, {
      report: false,
      ...(c.status === "published" ? { status: published } : {}),
      ...("job" in c ? { jobs: [{ ...job, status: { active: 1 } }] } : {}),
    });
    await h.reconcile();
    const written = h.calls.filter((x) => x.what === "apply DataSet/status").map((x) => (x.body as DataSet).status);
    if (c.status === "published") expect(written).toEqual([]);
    else expect(written.map((st) => cond(st ?? {}, "Ready")?.reason)).toEqual(["Preparing"]);
    expect(h.calls.some((x) => x.what === "create Job")).toBe(false);
  });

  it("finding: a DataSet picks its prepare Job by name without an owner check — a Job it does not control is never read", async () => {
    // Someone made a Job under the prepare Job's name (no ownerReference to this DataSet) and let it "succeed".
    const forged = prepareJob(ds(), { runtimeImage: "evil:1", report: settings }).object as KubeObject;
    forged.metadata = { ...forged.metadata, uid: "forged", ownerReferences: [] };
    const done = { conditions: [{ type: "Complete", status: "True" }], succeeded: 1 };
    const h = harness(undefined, { report: true, jobs: [{ ...forged, status: done }] });
    await h.reconcile();
    expect(h.calls.some((c) => c.what === "create Job")).toBe(false);
    const written = h.calls.find((c) => c.what === "apply DataSet/status")?.body as DataSet | undefined;
    expect(cond(written?.status, "Failed")).toMatchObject({ status: "True", reason: Reason.ApplyFailed });
    expect(cond(written?.status, "Failed")?.message).toMatch(
      /penguins-prepare-g2 exists but is not controlled by this DataSet/,
    );
    expect(cond(written?.status, "Ready")?.status).toBe("False");
  });

  it("writes the access record from the audit events waiting for it, and nothing when they are already in it", async () => {
    const published = computeStatus(ds(), { result: { jobUid: "j", phase: "succeeded", outcome } }, now);
    const read = {
      namespace: "team-a",
      dataset: "penguins",
      keyId: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
      op: "read" as const,
      time: "2026-12-01T00:00:05.25Z",
      requestId: "r1",
      serviceAccount: "penguins-train",
      serviceAccountNamespace: "team-a",
      pod: "penguins-train-x7k2p",
    };
    const pending = new PendingAccess();
    // A read of an earlier DataSet of the same name, deleted before this one was created: not this one's record.
    pending.add({ ...read, keyId: "ffffffffffffffffffffffffffffffff", time: "2026-11-30T23:59:59Z", requestId: "r0" });
    pending.add(read);
    const created = "2026-12-01T00:00:00Z";
    const h = harness(undefined, { report: true, status: published, access: pending, created });
    await h.reconcile();
    const writes = h.calls.filter((c) => c.what === "apply DataSet/status");
    const access = (writes[0]?.body as DataSet | undefined)?.status?.access;
    expect(writes.length).toBe(1);
    expect(access).toEqual([
      {
        keyId: read.keyId,
        reads: 1,
        firstRead: "2026-12-01T00:00:05Z",
        lastRead: "2026-12-01T00:00:05Z",
        through: "2026-12-01T00:00:05.250000000Z",
        readers: [
          {
            serviceAccount: "penguins-train",
            namespace: "team-a",
            pod: read.pod,
            reads: 1,
            lastRead: "2026-12-01T00:00:05Z",
          },
        ],
      },
    ]);
    expect(pending.pending("team-a/penguins")).toEqual([]); // written: no longer waiting
    // The same line read again (an operator restart reads the whole log) against the written status: no write.
    const again = new PendingAccess();
    again.add(read);
    const h2 = harness(undefined, {
      report: true,
      status: { ...published, ...(access ? { access } : {}) },
      access: again,
      created,
    });
    await h2.reconcile();
    expect(h2.calls.filter((c) => c.what === "apply DataSet/status")).toEqual([]);
  });

  it("only new work waits for the report flags, with a condition that names them", async () => {
    const h = harness(undefined, { report: false });
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["apply DataSet/status"]);
    const failed = cond((h.calls[0]?.body as DataSet | undefined)?.status, "Failed");
    expect(failed).toMatchObject({ status: "True", reason: Reason.ReportingDisabled });
    expect(failed?.message).toMatch(/--report-url/);
  });
});

const trainingOn = (
  name: string,
  status?: TrainingJob["status"],
  over: { namespace?: string; dataSet?: string } = {},
) =>
  ({
    metadata: { name, namespace: over.namespace ?? "team-a" },
    spec: { dataSetRef: { name: over.dataSet ?? "penguins" } },
    ...(status ? { status } : {}),
  }) as TrainingJob;
const readyAs = (reason: string) => [
  { type: "Ready", status: "False" as const, reason, message: "", lastTransitionTime: now() },
];
const servingWithBaseline = (name: string, dataSet?: string) =>
  ({
    metadata: { name, namespace: "team-a" },
    spec: {
      model: { uri: "pvc://m/x", format: "tfjs-layers" },
      ...(dataSet ? { monitoring: { drift: { baselineDataSetRef: { name: dataSet } } } } : {}),
    },
  }) as ModelDeployment;

const trainedOn = (name: string, hexChar: string) =>
  trainingOn(name, { phase: "Succeeded", model: { dataSetDigest: `sha256:${hexChar.repeat(64)}` } as never });

describe("DataSet in use", () => {
  it.each([
    ["a TrainingJob not yet reconciled", trainingOn("t"), ["TrainingJob t"]],
    ["a running TrainingJob", trainingOn("t", { phase: "Running" }), ["TrainingJob t"]],
    ["a suspended TrainingJob", trainingOn("t", { phase: "Suspended" }), ["TrainingJob t"]],
    ["a succeeded TrainingJob (its model's lineage)", trainingOn("t", { phase: "Succeeded" }), ["TrainingJob t"]],
    [
      "a TrainingJob whose pod starts",
      trainingOn("t", { phase: "Pending", conditions: readyAs("PodsStarting") }),
      ["TrainingJob t"],
    ],
    ["a failed TrainingJob", trainingOn("t", { phase: "Failed" }), []],
    [
      "a TrainingJob waiting for the DataSet, never started",
      trainingOn("t", { phase: "Pending", conditions: readyAs("DataSetNotReady") }),
      [],
    ],
    ["a TrainingJob on another DataSet", trainingOn("t", { phase: "Running" }, { dataSet: "iris" }), []],
    ["a TrainingJob in another namespace", trainingOn("t", { phase: "Running" }, { namespace: "team-b" }), []],
  ])("%s", (_case, tj, users) => {
    expect(usersOf(ds(), [tj], [])).toEqual(users);
  });

  it("counts ModelDeployments that read it as their drift baseline, sorted after TrainingJobs", () => {
    const mdeps = [
      servingWithBaseline("b", "penguins"),
      servingWithBaseline("a", "penguins"),
      servingWithBaseline("c"),
    ];
    expect(usersOf(ds(), [trainingOn("z", { phase: "Running" })], mdeps)).toEqual([
      "TrainingJob z",
      "ModelDeployment a",
      "ModelDeployment b",
    ]);
  });

  it.each([
    ["nothing uses it", [], [], []],
    ["a succeeded run: the version it trained on", [trainedOn("t", "1")], [], ["1".repeat(64)]],
    ["a running one: the current version", [trainingOn("t", { phase: "Running" })], [], ["c".repeat(64)]],
    ["a drift baseline: the current version", [], [servingWithBaseline("m", "penguins")], ["c".repeat(64)]],
    [
      "both, each version once, sorted",
      [
        trainedOn("a", "c"),
        trainedOn("b", "1"),
        trainingOn("r", { phase: "Running" }),
        trainingOn("f", { phase: "Failed" }),
      ],
      [],
      ["1".repeat(64), "c".repeat(64)],
    ],
  ])("versions a new generation keeps: %s", (_case, tjs, mdeps, hex) => {
    const current = ds({}, { digest: `sha256:${"c".repeat(64)}` });
    expect(versionsInUse(current, tjs, mdeps)).toEqual(hex);
  });

  it("the prepare Job carries them to the pod (LIFTOFF_KEEP_VERSIONS), only when there are some", () => {
    const env = (inUse: string[]) =>
      podOf(prepareJob(ds(), { runtimeImage: "rt:1", report: settings }, inUse).object).containers[0].env.find(
        (e: { name: string }) => e.name === "LIFTOFF_KEEP_VERSIONS",
      );
    expect(env([])).toBeUndefined();
    expect(env(["a".repeat(64), "b".repeat(64)])?.value).toBe(`${"a".repeat(64)},${"b".repeat(64)}`);
  });

  it("says who in a Terminating condition, and drops it once nothing uses the DataSet", () => {
    const users = Array.from({ length: 7 }, (_, i) => `TrainingJob t${i}`);
    const waiting = terminatingStatus(ds(), users, now);
    expect(cond(waiting, "Terminating")).toMatchObject({ status: "True", reason: Reason.InUse });
    expect(cond(waiting, "Terminating")?.message).toBe(
      "deletion waits while TrainingJob t0, TrainingJob t1, TrainingJob t2, TrainingJob t3, TrainingJob t4 and 2 more still use it; it completes once they are deleted",
    );
    expect(cond(terminatingStatus(ds({}, waiting), [], now), "Terminating")).toBeUndefined();
    expect(terminatingStatus(ds({}, {}), [], now)).toEqual({});
  });

  it("a DataSet deleted while in use keeps its finalizer and versions, and says who uses it", async () => {
    const h = harness(undefined, {
      report: true,
      deleting: true,
      trainingJobs: [trainingOn("t", { phase: "Running" })],
    });
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["apply DataSet/status"]);
    const terminating = cond((h.calls[0]?.body as DataSet | undefined)?.status, "Terminating");
    expect(terminating?.message).toMatch(/TrainingJob t still use/);
  });

  it("a DataSet deleted when nothing uses it runs its cleanup Job", async () => {
    const h = harness(undefined, {
      report: true,
      deleting: true,
      trainingJobs: [trainingOn("t", { phase: "Failed" })],
    });
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["create Job"]);
  });
});

describe("DataSet prepare pod", () => {
  const job = {
    metadata: {
      name: "penguins-prepare-g2",
      namespace: "team-a",
      ownerReferences: [
        { apiVersion: "liftoff.dev/v1alpha1", kind: "DataSet", name: "penguins", uid: "uid-1", controller: true },
      ],
    },
    status: { active: 1 },
  };
  const pendingPod = {
    metadata: { name: "penguins-prepare-g2-x", namespace: "team-a", labels: { "job-name": "penguins-prepare-g2" } },
    status: {
      phase: "Pending",
      conditions: [
        {
          type: "PodScheduled",
          status: "False",
          reason: "Unschedulable",
          message: "0/2 nodes are available: 2 Insufficient cpu.",
        },
      ],
    },
  } as Pod;

  it("a Pending pod the scheduler cannot place is said in Ready and Progressing, naming the pod and why", () => {
    const s = computeStatus(ds(), { job, pods: [pendingPod] }, now);
    const message =
      "penguins-prepare-g2 cannot start generation 2: pod penguins-prepare-g2-x: 0/2 nodes are available: 2 Insufficient cpu.";
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: Reason.Unschedulable, message });
    expect(cond(s, "Progressing")).toMatchObject({ status: "True", reason: Reason.Unschedulable });
    expect(cond(s, "Reconciling")).toMatchObject({ status: "True", reason: Reason.Unschedulable });
    expect(cond(s, "Failed")?.status).toBe("False");
  });

  it("the reconciler reads the pods of this generation's Job", async () => {
    const h = harness(undefined, { report: true, jobs: [job], pods: [pendingPod] });
    await h.reconcile();
    const written = h.calls.find((c) => c.what === "apply DataSet/status")?.body as DataSet | undefined;
    expect(cond(written?.status, "Ready")?.reason).toBe(Reason.Unschedulable);
  });
});

describe("DataSet on s3://", () => {
  const storage = { endpoint: "http://10.88.0.1:8333", credentials: { vaultKV: { path: "secret/data/liftoff/s3" } } };
  const onS3 = ds({
    source: { s3: { uri: "s3://raw/penguins.csv" } },
    output: { uri: "s3://liftoff/datasets/penguins/" },
    storage,
  });

  it("mounts no claim, writes to the s3:// prefix, and gets the storage env and a Vault identity for its keys", () => {
    const pod = podOf(prepareJob(onS3, { runtimeImage: "rt:1", vault }).object);
    const c = pod.containers[0];
    expect(c.args).toEqual(["prepare", "--out", "s3://liftoff/datasets/penguins/"]);
    expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual(["scratch", "tmp", "liftoff-vault"]);
    const env = Object.fromEntries(c.env.map((e: { name: string; value?: string }) => [e.name, e.value]));
    expect(env.AWS_ENDPOINT_URL_S3).toBe("http://10.88.0.1:8333");
    expect(env.AWS_REGION).toBe("us-east-1");
    expect(env.LIFTOFF_S3_VAULT_KV_PATH).toBe("secret/data/liftoff/s3");
    expect(env.LIFTOFF_VAULT_ADDR).toBe(vault.address);
    expect(needsVault(onS3)).toBe(true);
    const cleanup = podOf(cleanupJob(onS3, { runtimeImage: "rt:1", vault }).object).containers[0];
    expect(cleanup.args).toEqual(["prepare", "--delete", "--out", "s3://liftoff/datasets/penguins/"]);
  });

  it("needs no Vault with the pod's own AWS credentials (IRSA), and a claim DataSet gets no storage env", () => {
    const irsa = ds({ output: { uri: "s3://liftoff/p" }, storage: { region: "eu-west-1" } });
    expect(needsVault(irsa)).toBe(false);
    const env = podOf(prepareJob(irsa, { runtimeImage: "rt:1", vault }).object).containers[0].env;
    expect(env).toContainEqual({ name: "AWS_REGION", value: "eu-west-1" });
    expect(env.some((e: { name: string }) => e.name.startsWith("LIFTOFF_VAULT_"))).toBe(false);
    // spec.storage is ignored where nothing is on s3.
    const claimEnv = podOf(prepareJob(ds({ storage }), { runtimeImage: "rt:1" }).object).containers[0].env;
    expect(claimEnv.some((e: { name: string }) => e.name.startsWith("AWS_"))).toBe(false);
    expect(needsVault(ds({ storage }))).toBe(false);
  });

  it("status.output is the version's s3:// URI", () => {
    expect(outputUri(onS3)).toBe("s3://liftoff/datasets/penguins");
    expect(outputUri(ds())).toBe("pvc://data/prepared/penguins");
  });
});

describe("DataSet retention.maxAge between generations", () => {
  const hex = (c: string) => c.repeat(64);
  const at = (hoursAgo: number) => new Date(Date.parse(now()) - hoursAgo * 3_600_000).toISOString();
  const version = (c: string, hoursAgo: number, state: "Current" | "Retained") => ({
    version: hex(c).slice(0, 12),
    digest: `sha256:${hex(c)}`,
    created: at(hoursAgo),
    state,
  });
  const publishedStatus = (): DataSet["status"] => ({
    ...computeStatus(
      ds(),
      { result: { jobUid: "j", phase: "succeeded", outcome: { ...outcome, digest: `sha256:${hex("a")}` } } },
      now,
    ),
    versions: [version("a", 100, "Current"), version("b", 50, "Retained"), version("c", 2, "Retained")],
  });
  const spec = (maxAge: string) => ({ retention: { maxAge } });

  it("runs one prune Job for the versions past maxAge, named by them, keeping the current version", async () => {
    const h = harness(undefined, { report: true, status: publishedStatus(), spec: spec("24h") });
    expect(await h.reconcile()).toBeUndefined();
    const created = h.calls.filter((c) => c.what === "create Job").map((c) => c.body as KubeObject);
    expect(created.map((j) => j.metadata?.name)).toEqual([dataSetNames("penguins").pruneJob([hex("b")])]);
    const c = podOf(created[0]).containers[0];
    expect(c.args).toEqual(["prepare", "--prune", "--out", "/data/output/prepared/penguins"]);
    expect(c.env).toContainEqual({ name: "LIFTOFF_KEEP_VERSIONS", value: hex("a") });
    expect(c.env).toContainEqual({ name: "LIFTOFF_DATASET", value: "team-a/penguins" });
    expect(created[0]?.spec.ttlSecondsAfterFinished).toBe(600);
    // A restarted operator finds the same Job by its name and starts no second one.
    const again = harness(undefined, { report: true, status: publishedStatus(), spec: spec("24h"), jobs: created });
    await again.reconcile();
    expect(again.calls.filter((x) => x.what === "create Job")).toEqual([]);
  });

  it("writes a prune Job's report into status.versions, the current version marked Current", async () => {
    const h = harness(undefined, { report: true, status: publishedStatus(), spec: spec("24h") });
    const job = dataSetNames("penguins").pruneJob([hex("b")]);
    const run = {
      kind: "DataSet",
      namespace: "team-a",
      name: "penguins",
      uid: "uid-1",
      job: { name: job, uid: "job-uid", annotations: { "liftoff.dev/generation": "2" } },
      pod: { name: `${job}-x`, uid: "pod-uid" },
    };
    const reported = [
      { ...version("a", 100, "Current"), state: "Retained" },
      version("c", 2, "Retained"),
      { ...version("b", 50, "Retained"), state: "Shredded", reason: "MaxAge", shredded: now() },
    ];
    await h.reconciler.handleReport(run, { phase: "succeeded", data: { versions: reported, deleted: 1 } }, h.log);
    const written = h.calls.filter((c) => c.what === "apply DataSet/status").at(-1)?.body as DataSet;
    expect(written.status?.versions).toEqual([
      version("a", 100, "Current"),
      version("c", 2, "Retained"),
      { ...version("b", 50, "Retained"), state: "Shredded", reason: "MaxAge", shredded: now() },
    ]);
    // A report that is not a prune outcome is refused (it is untrusted input).
    await expect(
      h.reconciler.handleReport(run, { phase: "succeeded", data: { versions: [{ digest: "x" }] } }, h.log),
    ).rejects.toThrow(/bad DataSet result/);
  });

  it("requeues at the next expiry when nothing is due yet, and does nothing without maxAge", async () => {
    const h = harness(undefined, { report: true, status: publishedStatus(), spec: spec("55h") });
    expect(await h.reconcile()).toEqual({ requeueAfterMs: 5 * 3_600_000 + 1000 });
    expect(h.calls.filter((c) => c.what === "create Job")).toEqual([]);
    const none = harness(undefined, { report: true, status: publishedStatus() });
    expect(await none.reconcile()).toBeUndefined();
    expect(none.calls.filter((c) => c.what === "create Job")).toEqual([]);
  });
});
