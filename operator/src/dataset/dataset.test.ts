import pino from "pino";
import { describe, expect, it } from "vitest";
import type { DataSet } from "../api/v1alpha1/index.js";
import { FakeCache } from "../controller/fake-cache.js";
import { KubeApiError } from "../kube/request.js";
import { RESOURCES, type ResourceType } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { Reason } from "../reasons.js";
import { cleanupJob, needsVault, prepareJob, serviceAccount } from "./desired.js";
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
    expect(c.resources).toEqual({ requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } });
    const env = c.env.map((e: { name: string }) => e.name);
    expect(env).toContain("LIFTOFF_REPORT_URL");
    expect(env).not.toContain("LIFTOFF_VAULT_ADDR"); // this spec reads nothing from Vault
    expect(pod.volumes.find((v: { name: string }) => v.name === "source")).toEqual({
      name: "source",
      persistentVolumeClaim: { claimName: "raw", readOnly: true },
    });
    expect(job.spec.podFailurePolicy.rules[0]).toMatchObject({ action: "FailJob", onExitCodes: { values: [3] } });
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

  it("refuses a malformed result from a pod", () => {
    expect(() => outcomeOf({ ...outcome, digest: "md5:1" })).toThrow(/bad DataSet result at \/digest/);
  });
});

describe("DataSetReconciler", () => {
  /** A reconciler over one finalized DataSet and a client that records each write and its signal. */
  function harness(
    refuse?: { kind: string; err: KubeApiError },
    o: { report?: boolean; status?: DataSet["status"]; jobs?: KubeObject[] } = { report: true },
  ) {
    const calls: Array<{ what: string; signal?: AbortSignal; body?: KubeObject }> = [];
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
    };
    const finalized = ds({}, o.status);
    finalized.metadata = { ...finalized.metadata, finalizers: [FINALIZER] };
    const r = new DataSetReconciler({
      client: client as never,
      dataSets: new FakeCache(RESOURCES.DataSet, [finalized]),
      jobs: new FakeCache(RESOURCES.Job, o.jobs ?? []),
      serviceAccounts: new FakeCache(RESOURCES.ServiceAccount),
      events: { record: async () => {} } as never,
      runtimeImage: "rt:1",
      ...(o.report ? { report: settings } : {}),
      now,
    });
    const ac = new AbortController();
    const log = pino({ level: "silent" });
    const reconcile = () => r.reconcile("team-a/penguins", { log, signal: ac.signal });
    return { calls, reconcile, signal: ac.signal };
  }

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

  it("only new work waits for the report flags, with a condition that names them", async () => {
    const h = harness(undefined, { report: false });
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["apply DataSet/status"]);
    const failed = cond((h.calls[0]?.body as DataSet | undefined)?.status, "Failed");
    expect(failed).toMatchObject({ status: "True", reason: Reason.ReportingDisabled });
    expect(failed?.message).toMatch(/--report-url/);
  });
});
