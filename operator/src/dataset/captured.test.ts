import pino from "pino";
import { describe, expect, it } from "vitest";
import type { DataSet, ModelDeployment } from "../api/v1alpha1/index.js";
import { FakeCache } from "../controller/fake-cache.js";
import { RESOURCES, type ResourceType } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { Reason } from "../reasons.js";
import { resolveCapture } from "./captured.js";
import { prepareJob } from "./desired.js";
import { FINALIZER } from "./names.js";
import { DataSetReconciler } from "./reconciler.js";
import { computeStatus } from "./status.js";

const captured = { modelDeploymentRef: { name: "penguins" }, maxAgeHours: 24, labelled: true };
const ds = (source: DataSet["spec"]["source"], over: Partial<DataSet["spec"]> = {}): DataSet =>
  ({
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "DataSet",
    metadata: { name: "penguins-loop-1", namespace: "team-a", uid: "uid-1", generation: 1, finalizers: [FINALIZER] },
    spec: {
      source,
      format: "csv",
      schema: { target: "species", columns: [{ name: "species", type: "category", pii: false }] },
      output: { claimName: "data", path: "prepared/penguins/loop-1" },
      retainVersions: 3,
      ...over,
    },
  }) as DataSet;
const mdep = (capture?: { uri: string }, storage?: ModelDeployment["spec"]["storage"]) =>
  ({
    metadata: { name: "penguins", namespace: "team-a" },
    spec: { model: { uri: "pvc://m/x", format: "tfjs-layers" }, ...(capture ? { capture } : {}), storage },
  }) as ModelDeployment;
const finder = (m?: ModelDeployment) => (ns: string, name: string) =>
  m && m.metadata?.namespace === ns && m.metadata?.name === name ? m : undefined;

// biome-ignore lint/suspicious/noExplicitAny: reading into built objects
const containerOf = (job: any) => job.spec.template.spec.containers[0];
const envOf = (job: KubeObject): Record<string, string> =>
  Object.fromEntries(containerOf(job).env.map((e: { name: string; value?: string }) => [e.name, e.value]));

describe("source.captured: resolving the capture", () => {
  it("reads the ModelDeployment's spec.capture.uri", () => {
    const r = resolveCapture(ds({ captured }), finder(mdep({ uri: "pvc://capture/penguins" })));
    expect(r).toEqual({ capture: { modelDeployment: "penguins", uri: "pvc://capture/penguins" } });
    expect(resolveCapture(ds({ inline: { data: "x" } }), finder())).toBeUndefined();
  });

  it.each([
    ["the ModelDeployment does not exist", undefined, /ModelDeployment penguins, which does not exist/],
    ["it captures nothing", mdep(), /ModelDeployment penguins captures no traffic \(it has no spec.capture\)/],
    ["its capture uri is neither pvc nor s3", mdep({ uri: "http://x/y" }), /neither pvc:\/\/ nor s3:\/\//],
  ])("is CaptureSourceNotFound when %s", (_, m, message) => {
    const r = resolveCapture(ds({ captured }), finder(m));
    expect(r?.blocked?.reason).toBe(Reason.CaptureSourceNotFound);
    expect(r?.blocked?.message).toMatch(message);
  });

  it("takes the ModelDeployment's storage for an s3:// capture, and refuses one that differs from the DataSet's own", () => {
    const storage = { endpoint: "http://seaweedfs:8333" };
    const m = mdep({ uri: "s3://capture/penguins" }, storage);
    expect(resolveCapture(ds({ captured }), finder(m))?.capture?.storage).toEqual(storage);
    const own = ds({ captured }, { output: { uri: "s3://data/out" }, storage: { endpoint: "http://other:9000" } });
    expect(resolveCapture(own, finder(m))?.blocked).toMatchObject({
      reason: Reason.InvalidSpec,
      message: expect.stringMatching(/spec.storage differs from ModelDeployment penguins's/),
    });
    const same = ds({ captured }, { output: { uri: "s3://data/out" }, storage });
    expect(resolveCapture(same, finder(m))?.capture?.uri).toBe("s3://capture/penguins");
  });
});

describe("source.captured: the prepare pod", () => {
  it("mounts the capture claim read-only and passes the resolved root", () => {
    const job = prepareJob(ds({ captured }), {
      runtimeImage: "rt:1",
      captured: { modelDeployment: "penguins", uri: "pvc://capture/penguins/" },
    }).object as KubeObject;
    const pod = job.spec.template.spec;
    expect(pod.volumes).toContainEqual({
      name: "captured",
      persistentVolumeClaim: { claimName: "capture", readOnly: true },
    });
    expect(containerOf(job).volumeMounts).toContainEqual({
      name: "captured",
      mountPath: "/data/captured",
      readOnly: true,
    });
    expect(JSON.parse(envOf(job).LIFTOFF_CAPTURED_SOURCE ?? "null")).toEqual({
      modelDeployment: "penguins",
      uri: "pvc://capture/penguins/",
      root: "/data/captured/penguins",
    });
  });

  it("reads a capture on a claim the pod already mounts there, without mounting it twice", () => {
    const job = prepareJob(ds({ pvc: { claimName: "raw", path: "penguins.csv" }, captured }), {
      runtimeImage: "rt:1",
      captured: { modelDeployment: "penguins", uri: "pvc://data/capture" },
    }).object as KubeObject;
    const claims = job.spec.template.spec.volumes.flatMap(
      (v: { persistentVolumeClaim?: { claimName: string } }) => v.persistentVolumeClaim?.claimName ?? [],
    );
    expect(claims.sort()).toEqual(["data", "raw"]);
    expect(JSON.parse(envOf(job).LIFTOFF_CAPTURED_SOURCE ?? "null").root).toBe("/data/output/capture");
  });

  it("passes the ModelDeployment's storage for an s3:// capture, and a Vault identity to unwrap encrypted versions", () => {
    const vault = { address: "https://10.88.0.1:8200", authMount: "kubernetes", tokenExpirationSeconds: 600 };
    const job = prepareJob(ds({ captured }), {
      runtimeImage: "rt:1",
      vault,
      captured: { modelDeployment: "penguins", uri: "s3://capture/penguins", storage: { endpoint: "http://sw:8333" } },
    }).object as KubeObject;
    const env = envOf(job);
    expect(env.AWS_ENDPOINT_URL_S3).toBe("http://sw:8333");
    expect(JSON.parse(env.LIFTOFF_CAPTURED_SOURCE ?? "null").root).toBe("s3://capture/penguins");
    expect(env.LIFTOFF_VAULT_ROLE).toBe("liftoff-dataset");
    expect(job.spec.template.spec.volumes.some((v: { name: string }) => v.name === "captured")).toBe(false);
  });
});

describe("source.captured: status", () => {
  it("reports the captured rows and versions, and says them in Ready's message", () => {
    const outcome = {
      digest: `sha256:${"ab".repeat(32)}`,
      rows: { read: 400, dropped: 11, total: 389, train: 311, validation: 39, test: 39, captured: 56 },
      capturedVersions: 3,
      task: "multiclass" as const,
      columns: [],
      notes: [],
      encrypted: false,
    };
    const s = computeStatus(ds({ captured }), { result: { jobUid: "j", phase: "succeeded", outcome } }, () => "t");
    expect(s.rows?.captured).toBe(56);
    expect(s.capturedVersions).toBe(3);
    expect(s.conditions?.find((c) => c.type === "Ready")?.message).toMatch(
      /; 56 of the 400 rows read from 3 capture versions$/,
    );
  });
});

describe("source.captured: the reconciler", () => {
  function harness(m?: ModelDeployment) {
    const calls: Array<{ what: string; body: KubeObject }> = [];
    const answer = (what: string, _r: ResourceType, obj: KubeObject) => {
      calls.push({ what, body: obj });
      return { ...obj, metadata: { ...obj.metadata, uid: `uid-${obj.metadata?.name}` } };
    };
    const client = {
      apply: async (r: ResourceType, obj: KubeObject, sub?: string) =>
        answer(`apply ${r.kind}${sub ? `/${sub}` : ""}`, r, obj),
      create: async (r: ResourceType, obj: KubeObject) => answer(`create ${r.kind}`, r, obj),
    };
    const r = new DataSetReconciler({
      client: client as never,
      dataSets: new FakeCache(RESOURCES.DataSet, [ds({ http: { url: "https://x.example/p.csv" }, captured })]),
      jobs: new FakeCache(RESOURCES.Job),
      serviceAccounts: new FakeCache(RESOURCES.ServiceAccount),
      pods: new FakeCache(RESOURCES.Pod),
      trainingJobs: new FakeCache(RESOURCES.TrainingJob),
      modelDeployments: new FakeCache(RESOURCES.ModelDeployment, m ? [m] : []),
      events: { record: async () => {} } as never,
      runtimeImage: "rt:1",
      report: { url: "https://10.88.0.1:9443/v1/report", caPem: "PEM" },
      now: () => "2026-12-01T00:00:00Z",
    });
    const reconcile = () =>
      r.reconcile("team-a/penguins-loop-1", { log: pino({ level: "silent" }), signal: new AbortController().signal });
    return { calls, reconcile };
  }

  it("waits with CaptureSourceNotFound, and creates no Job, while the ModelDeployment has no capture", async () => {
    const h = harness(mdep());
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["apply DataSet/status"]);
    const status = (h.calls[0]?.body as DataSet | undefined)?.status;
    const stalled = status?.conditions?.find((c) => c.type === "Stalled");
    expect(stalled).toMatchObject({ status: "True", reason: "CaptureSourceNotFound" });
    expect(status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
  });

  it("creates the prepare Job with the resolved capture once the ModelDeployment captures", async () => {
    const h = harness(mdep({ uri: "pvc://capture/penguins" }));
    await h.reconcile();
    const job = h.calls.find((c) => c.what === "create Job")?.body as KubeObject;
    expect(JSON.parse(envOf(job).LIFTOFF_CAPTURED_SOURCE ?? "null").root).toBe("/data/captured/penguins");
  });
});
