// Desired objects, status and progress throttling of the TrainingJob controller (pure parts, no API server).
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DataSet, TrainingJob, TrainingJobSpec } from "../api/v1alpha1/index.js";
import { FakeCache } from "../controller/fake-cache.js";
import { KubeApiError } from "../kube/client.js";
import type { Job, Pod } from "../kube/models.js";
import { RESOURCES, type ResourceType } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { Reason } from "../reasons.js";
import {
  type DataVersion,
  dataVersionOf,
  desiredObjects,
  jobDataVersion,
  jobReadsEncrypted,
  outputOf,
  outputUriOf,
  PLAIN_DIR,
} from "./desired.js";
import { jobUpdate } from "./job-update.js";
import { ANNOTATION_DATASET_DIGEST } from "./names.js";
import { checked, outcomeOfPods, TrainProgress } from "./outcome.js";
import { ProgressWriter, progressPatch, shortNumber, statusPatch } from "./progress.js";
import { TrainingJobReconciler } from "./reconciler.js";
import { computeStatus } from "./status.js";

const HEX = "a".repeat(64);
const MODEL_HEX = "b".repeat(64);
const now = () => "2026-01-01T00:00:00Z";

function tj(spec: Partial<TrainingJobSpec> = {}, status?: TrainingJob["status"]): TrainingJob {
  return {
    metadata: { name: "penguins", namespace: "ml", uid: "u-1", generation: 1 },
    spec: {
      dataSetRef: { name: "penguins" },
      task: "multiclass",
      model: { layers: [{ type: "dense", units: 16, activation: "relu" }] },
      hyperparameters: { optimizer: "adam", learningRate: 0.01, epochs: 5, batchSize: 32, seed: 0 },
      ...spec,
    },
    ...(status ? { status } : {}),
  };
}

const dataSet: DataSet = {
  metadata: { name: "penguins", namespace: "ml" },
  spec: { output: { claimName: "data", path: "datasets/penguins" } } as DataSet["spec"],
  status: { digest: `sha256:${HEX}`, conditions: [] },
};
const data = dataVersionOf(dataSet) as DataVersion;

const jobOf = (status: Job["status"] = {}, suspend = false): Job => ({
  metadata: { name: "penguins-train", namespace: "ml", annotations: { [ANNOTATION_DATASET_DIGEST]: data.digest } },
  spec: { suspend, template: {} },
  status,
});

const pod = (containerStatus: Record<string, unknown>, phase = "Failed", name = "penguins-train-x1"): Pod =>
  ({
    metadata: { name, namespace: "ml", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { containers: [{ name: "train", resources: { limits: { memory: "2Gi" } } }] },
    status: { phase, containerStatuses: [{ name: "train", ready: false, restartCount: 0, ...containerStatus }] },
  }) as unknown as Pod;

const terminated = (exitCode: number, message: unknown, reason = "Error") =>
  pod({
    state: {
      terminated: { exitCode, reason, message: typeof message === "string" ? message : JSON.stringify(message) },
    },
  });

const failedJob = (reason: string, failed = 1) =>
  jobOf({
    failed,
    conditions: [{ type: "Failed", status: "True", reason, lastTransitionTime: "2026-01-01T00:05:00Z" }],
  });

const ready = (s: ReturnType<typeof computeStatus>) => s.conditions?.find((c) => c.type === "Ready");

describe("desired training Job", () => {
  const [sa, job] = desiredObjects(tj({ resources: { gpu: 1, memory: "4Gi" } }), { runtimeImage: "r/x:1", data });
  const spec = (job?.object as Job | undefined)?.spec;
  const pod0 = spec?.template.spec;
  const c = pod0?.containers[0];

  it("finding: TrainingJob pods' tmp emptyDir has no sizeLimit and no ephemeral-storage limit", () => {
    expect(pod0?.volumes?.find((v) => v.name === "tmp")).toEqual({ name: "tmp", emptyDir: { sizeLimit: "2Gi" } });
    expect(c?.resources?.limits?.["ephemeral-storage"]).toBe("3Gi");
    expect(c?.resources?.requests?.["ephemeral-storage"]).toBe("1Gi");
  });

  it("runs one restricted pod under the job's own ServiceAccount, pinned to the DataSet version", () => {
    expect(sa?.object.metadata.name).toBe("penguins-train");
    expect(pod0?.serviceAccountName).toBe("penguins-train");
    expect(pod0?.restartPolicy).toBe("Never");
    expect(pod0?.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(c?.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(job?.object.metadata.annotations?.[ANNOTATION_DATASET_DIGEST]).toBe(`sha256:${HEX}`);
    expect(c?.args).toEqual([
      "train",
      "--data",
      `/mnt/pvc/data/datasets/penguins/${HEX}`,
      "--data-digest",
      `sha256:${HEX}`,
      "--out",
      "/mnt/pvc/data/models/penguins",
      "--checkpoint-dir",
      "/mnt/pvc/data/models/penguins/.checkpoints/u-1",
      "--backend",
      "auto",
    ]);
  });

  it("asks for nvidia.com/gpu and tolerates the GPU taint; run policy maps to the Job", () => {
    expect(c?.resources?.limits).toMatchObject({ "nvidia.com/gpu": "1", memory: "4Gi" });
    expect(pod0?.tolerations).toContainEqual({ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" });
    expect(spec?.backoffLimit).toBe(3);
    expect(spec?.podFailurePolicy?.rules[0]).toMatchObject({ action: "FailJob", onExitCodes: { values: [2, 3] } });
    const [, policed] = desiredObjects(
      tj({ runPolicy: { backoffLimit: 1, activeDeadlineSeconds: 60, ttlSecondsAfterFinished: 5, suspend: true } }),
      { runtimeImage: "r/x:1", data },
    );
    expect((policed?.object as Job | undefined)?.spec).toMatchObject({
      backoffLimit: 1,
      activeDeadlineSeconds: 60,
      ttlSecondsAfterFinished: 5,
      suspend: true,
    });
    expect((policed?.object as Job | undefined)?.spec?.template.spec?.tolerations).toBeUndefined();
  });

  it("reports progress as often as the operator writes it (--progress-interval), the runtime's 5 s saying nothing", () => {
    const envOf = (progressIntervalMs?: number) =>
      (
        desiredObjects(tj(), { runtimeImage: "r/x:1", data, progressIntervalMs })[1]?.object as Job | undefined
      )?.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === "LIFTOFF_PROGRESS_INTERVAL_MS")?.value;
    expect(envOf(1000)).toBe("1000");
    expect(envOf(5000)).toBeUndefined();
    expect(envOf()).toBeUndefined();
  });
});

describe("desired training Job on an encrypted DataSet", () => {
  const encrypted = dataVersionOf({
    ...dataSet,
    spec: { ...dataSet.spec, encryption: { transitKey: "k", vaultRole: "liftoff-dataset" } },
  }) as DataVersion;
  const vault = { address: "https://vault:8200", caConfigMap: { name: "kube-root-ca.crt", key: "ca.crt" } };
  const podOf = (d: DataVersion, spec: Partial<TrainingJobSpec> = {}) =>
    (desiredObjects(tj(spec), { runtimeImage: "r/x:1", data: d, vault })[1]?.object as Job | undefined)?.spec?.template
      .spec;

  it("gets a Vault identity of its own role and decrypts into a memory-backed emptyDir", () => {
    const p = podOf(encrypted);
    const c = p?.containers[0];
    const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));
    expect(env.LIFTOFF_VAULT_ROLE).toBe("liftoff-ml-penguins-train");
    expect(env.LIFTOFF_VAULT_ADDR).toBe("https://vault:8200");
    expect(p?.volumes).toContainEqual({ name: "plain", emptyDir: { medium: "Memory" } });
    expect(c?.volumeMounts).toContainEqual({ name: "plain", mountPath: PLAIN_DIR });
    expect(c?.args?.slice(5, 7)).toEqual(["--plain-dir", PLAIN_DIR]);
    // The projected Vault token only; the Kubernetes API token stays unmounted.
    expect(p?.automountServiceAccountToken).toBe(false);
    expect(podOf(encrypted, { vaultRole: "team-train" })?.containers[0]?.env).toContainEqual({
      name: "LIFTOFF_VAULT_ROLE",
      value: "team-train",
    });
    const job = desiredObjects(tj(), { runtimeImage: "r/x:1", data: encrypted, vault })[1]?.object as Job;
    expect(jobReadsEncrypted(job)).toBe(true);
  });

  it("a plaintext DataSet's pod has neither the identity nor the memory folder", () => {
    const p = podOf(data);
    expect(p?.volumes?.map((v) => v.name)).toEqual(["tmp", "data"]);
    expect((p?.containers[0]?.env ?? []).some((e) => e.name.startsWith("LIFTOFF_VAULT_"))).toBe(false);
    expect(jobReadsEncrypted(desiredObjects(tj(), { runtimeImage: "r/x:1", data, vault })[1]?.object as Job)).toBe(
      false,
    );
  });
});

describe("TrainingJob status", () => {
  it("waits (not fails) while the DataSet is not Ready", () => {
    const s = computeStatus(tj(), { waiting: { reason: Reason.DataSetNotReady, message: "m" }, pods: [] }, now);
    expect(s.phase).toBe("Pending");
    expect(ready(s)).toMatchObject({ status: "False", reason: "DataSetNotReady" });
    expect(s.conditions?.find((c) => c.type === "Reconciling")?.status).toBe("True");
  });

  it("is Running while its pod runs, Suspended when suspended", () => {
    const running = computeStatus(tj(), { job: jobOf({ active: 1 }), pods: [pod({}, "Running")] }, now);
    expect(running.phase).toBe("Running");
    expect(running.conditions?.find((c) => c.type === "Running")?.status).toBe("True");
    const suspended = computeStatus(tj(), { job: jobOf({}, true), pods: [] }, now);
    expect(suspended.phase).toBe("Suspended");
    expect(suspended.conditions?.find((c) => c.type === "Suspended")?.status).toBe("True");
  });

  it("Succeeded: the model's URI, digest, lineage and test metrics from the pod's termination message", () => {
    const msg = {
      reason: "Succeeded",
      model: { digest: `sha256:${MODEL_HEX}`, uri: "/ignored" },
      dataSetDigest: `sha256:${HEX}`,
      finalMetrics: { loss: 0.1, accuracy: 0.97 },
      epochs: 5,
    };
    const pods = [terminated(0, msg, "Completed")];
    const job = jobOf({ conditions: [{ type: "Complete", status: "True" }], completionTime: "2026-01-01T00:09:00Z" });
    const s = computeStatus(
      tj(),
      { job, pods, outcome: outcomeOfPods(pods), data, outputUri: "pvc://data/models/penguins" },
      now,
    );
    expect(s.phase).toBe("Succeeded");
    expect(s.model).toEqual({
      uri: `pvc://data/models/penguins/${MODEL_HEX}`,
      digest: `sha256:${MODEL_HEX}`,
      version: "u-1.1",
      dataSetDigest: `sha256:${HEX}`,
    });
    expect(s.finalMetrics).toEqual({ loss: 0.1, accuracy: 0.97 });
    expect(ready(s)).toMatchObject({ status: "True", reason: "Succeeded" });
    // The Job deleted by its TTL: the outcome stays.
    expect(computeStatus(tj({}, s), { pods: [] }, now)).toEqual(s);
  });

  it.each([
    [
      "NaNLoss from the pod",
      failedJob("PodFailurePolicy"),
      [terminated(3, { reason: "NaNLoss", message: "the loss became NaN at epoch 2, batch 7" })],
      "NaNLoss",
      /epoch 2, batch 7/,
    ],
    [
      "OutOfMemory with the limit",
      failedJob("BackoffLimitExceeded"),
      [terminated(137, "", "OOMKilled")],
      "OutOfMemory",
      /exit code 137, limit 2Gi/,
    ],
    ["DeadlineExceeded", failedJob("DeadlineExceeded"), [], "DeadlineExceeded", /activeDeadlineSeconds/],
    [
      "BackoffLimitExceeded with the last pod",
      failedJob("BackoffLimitExceeded", 4),
      [terminated(1, "boom")],
      "BackoffLimitExceeded",
      /failed 4 time\(s\).*pod penguins-train-x1: exit code 1: boom/,
    ],
  ])("Failed: %s", (_, job, pods, reason, message) => {
    const s = computeStatus(tj(), { job, pods, outcome: outcomeOfPods(pods), data }, now);
    expect(s.phase).toBe("Failed");
    expect(ready(s)).toMatchObject({ status: "False", reason });
    expect(ready(s)?.message).toMatch(message);
    expect(s.conditions?.find((c) => c.type === "Stalled")?.status).toBe("True");
  });

  it("shows why the last attempt failed while the Job retries it (Vault down)", () => {
    const message = "cannot unwrap the encrypted DataSet's data key (transit key k): VaultUnreachable: no answer";
    const failedPod = terminated(1, { reason: "VaultUnreachable", message });
    const pods = [failedPod];
    const s = computeStatus(tj(), { job: jobOf({ failed: 1 }), pods, outcome: outcomeOfPods(pods), data }, now);
    expect(s.phase).toBe("Pending");
    expect(ready(s)).toMatchObject({ status: "False", reason: "VaultUnreachable" });
    expect(ready(s)?.message).toBe(`${message} (attempt 1 of 4 failed; retrying)`);
    // Once a retry runs, it is Running again.
    const retry = pod({}, "Running", "penguins-train-x2");
    const running = computeStatus(
      tj(),
      { job: jobOf({ failed: 1, active: 1 }), pods: [failedPod, retry], outcome: outcomeOfPods([failedPod, retry]) },
      now,
    );
    expect(running.phase).toBe("Running");
  });

  it("copies an image-pull failure with the pod's name", () => {
    const pulling = pod(
      { state: { waiting: { reason: "ImagePullBackOff", message: "no such image" } } },
      "Pending",
      "penguins-train-q",
    );
    const s = computeStatus(tj(), { job: jobOf({ active: 1 }), pods: [pulling] }, now);
    expect(ready(s)).toMatchObject({
      reason: "ImagePullFailed",
      message: "pod penguins-train-q: ImagePullBackOff: no such image",
    });
  });
});

describe("a finished TrainingJob is history", () => {
  const msg = {
    reason: "Succeeded",
    model: { digest: `sha256:${MODEL_HEX}` },
    dataSetDigest: `sha256:${HEX}`,
    finalMetrics: { loss: 0.1 },
    epochs: 5,
  };
  const complete = jobOf({
    conditions: [{ type: "Complete", status: "True" }],
    completionTime: "2026-01-01T00:09:00Z",
  });
  const succeeded = computeStatus(
    tj(),
    {
      job: complete,
      pods: [terminated(0, msg, "Completed")],
      outcome: outcomeOfPods([terminated(0, msg, "Completed")]),
      data,
      outputUri: "pvc://data/models/penguins",
    },
    now,
  );

  it.each([
    ["its Job and pods gone (ttlSecondsAfterFinished)", { pods: [] }],
    ["its DataSet gone: no output location", { job: complete, pods: [terminated(0, msg, "Completed")] }],
    ["its Job failed since", { job: failedJob("BackoffLimitExceeded"), pods: [terminated(1, "boom")] }],
    ["an apply refused", { pods: [], failure: { reason: Reason.ApplyFailed, message: "m" } as never }],
  ])("keeps its status and model whatever is observed: %s", (_case, observed) => {
    expect(succeeded.model?.uri).toBe(`pvc://data/models/penguins/${MODEL_HEX}`);
    const after = computeStatus(
      tj({}, { ...succeeded, progress: { epoch: 5, epochs: 5, percentage: 100 } }),
      observed,
      () => "2027-01-01T00:00:00Z",
    );
    expect(after).toEqual(succeeded);
  });

  it("waits for the pod's result when the Job completed before the pods' watch showed the pod end", () => {
    const s = computeStatus(
      tj(),
      { job: complete, pods: [pod({}, "Running")], data, outputUri: "pvc://data/models/penguins" },
      now,
    );
    expect(s.phase).toBe("Running");
    expect(s.model).toBeUndefined();
  });

  it("never writes a model URI without an output location", () => {
    const pods = [terminated(0, msg, "Completed")];
    const s = computeStatus(tj(), { job: complete, pods, outcome: outcomeOfPods(pods), data }, now);
    expect(s.model).toBeUndefined();
    expect(s.phase).toBe("Failed");
  });
});

describe("the training Job after it exists", () => {
  const settings = { url: "https://10.0.0.1:9443/v1/report", caPem: "PEM" };
  const made = (o: { report?: boolean; suspend?: boolean } = {}) =>
    desiredObjects(tj({ runPolicy: { backoffLimit: 3, suspend: o.suspend ?? false } }), {
      runtimeImage: "r/x:1",
      data,
      ...(o.report ? { report: settings } : {}),
    })[1]?.object as Job;

  it("reads its data version and output back from its own pod template", () => {
    expect(jobDataVersion(made())).toEqual(data);
    expect(jobDataVersion({ spec: { template: {} } } as Job)).toBeUndefined();
  });

  it.each([
    ["same settings, same policy: apply (nothing differs)", made(), made(), { action: "apply" }],
    ["same settings, suspended: apply", made({ suspend: true }), made(), { action: "apply" }],
    ["made with reporting, now without: keep the template", made(), made({ report: true }), { action: "keep" }],
    [
      "made with reporting, now without, suspended: patch the run policy only",
      made({ suspend: true }),
      made({ report: true }),
      { action: "patch", patch: { spec: { suspend: true } } },
    ],
  ])("%s", (_case, desired, live, expected) => {
    expect(jobUpdate(desired, live)).toEqual(expected);
  });
});

describe("ProgressWriter", () => {
  afterEach(() => vi.useRealTimers());

  /** A writer on fake timers whose client records each status body it is asked to write. */
  function recordingWriter() {
    vi.useFakeTimers();
    const writes: unknown[] = [];
    const client = {
      mergePatch: async (_r: unknown, _ns: unknown, _n: unknown, body: unknown) => void writes.push(body),
    };
    return { writes, w: new ProgressWriter(client as never, { warn: () => {} } as never, 5000, () => Date.now()) };
  }

  it("writes at most once per interval per job, and always the newest report in the end", async () => {
    const { writes, w } = recordingWriter();
    for (let epoch = 1; epoch <= 50; epoch++) {
      w.offer("ml", "penguins", { epoch, epochs: 50, percentage: epoch * 2 });
      await vi.advanceTimersByTimeAsync(200); // 50 reports in 10 s
    }
    await vi.advanceTimersByTimeAsync(5000);
    expect(writes.length).toBeLessThanOrEqual(3);
    // At 100 % the ETA goes (null removes it in a merge patch): none shows once training has ended.
    expect(writes.at(-1)).toEqual({
      status: { progress: { epoch: 50, epochs: 50, percentage: 100, estimatedRemainingSeconds: null } },
    });
    w.stop();
  });

  it("coalesces reports without losing an epoch: the written status.history holds every epoch so far", async () => {
    const { writes, w } = recordingWriter();
    const points = [];
    for (let epoch = 1; epoch <= 30; epoch++) {
      points.push({ epoch, loss: 1 / epoch, metrics: { val_accuracy: epoch / 30 } });
      const history = { stride: 1, epochs: [...points] };
      w.offer("ml", "penguins", { epoch, epochs: 30, percentage: Math.floor((epoch * 100) / 30), history });
      await vi.advanceTimersByTimeAsync(200);
    }
    await vi.advanceTimersByTimeAsync(5000);
    expect(writes.length).toBeLessThan(30); // coalesced…
    const last = writes.at(-1) as { status: { progress: Record<string, unknown>; history: { epochs: unknown[] } } };
    expect(last.status.history.epochs.map((p) => (p as { epoch: number }).epoch)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1),
    ); // …yet no epoch lost
    expect(last.status.progress).not.toHaveProperty("history"); // the history is beside progress, not in it
    w.stop();
  });

  it("checks a report's history: kept when well-formed, the report rejected when it is too long", () => {
    const epochs = (n: number) => Array.from({ length: n }, (_, i) => ({ epoch: i + 1, loss: 1, metrics: {} }));
    const ok = checked(TrainProgress, {
      epoch: 2,
      epochs: 9,
      percentage: 22,
      history: { stride: 1, epochs: epochs(2) },
    });
    expect(ok?.history?.epochs).toHaveLength(2);
    expect(
      checked(TrainProgress, { epoch: 2, epochs: 9, percentage: 22, history: { stride: 1, epochs: epochs(201) } }),
    ).toBeUndefined();
    expect(statusPatch({ epoch: 1, epochs: 2, percentage: 50 })).toEqual({
      progress: { epoch: 1, epochs: 2, percentage: 50 },
    });
  });

  it("writes the final report (100 %) at once instead of holding it to the end of the interval", async () => {
    const { writes, w } = recordingWriter();
    w.offer("ml", "penguins", { epoch: 1, epochs: 60, percentage: 2 });
    await vi.advanceTimersByTimeAsync(100);
    w.offer("ml", "penguins", { epoch: 17, epochs: 60, percentage: 28 }); // held: inside the interval
    await vi.advanceTimersByTimeAsync(100);
    w.offer("ml", "penguins", { epoch: 18, epochs: 60, percentage: 100 }); // early stopping: the last report
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toEqual([
      { status: { progress: { epoch: 1, epochs: 60, percentage: 2 } } },
      { status: { progress: { epoch: 18, epochs: 60, percentage: 100, estimatedRemainingSeconds: null } } },
    ]);
    await vi.advanceTimersByTimeAsync(10_000); // the held epoch-17 report is gone, not written after the final one
    expect(writes).toHaveLength(2);
    w.stop();
  });

  it.each([
    [0.00010402565663370659, "0.000104"],
    [0.123456, "0.1235"],
    [1.5, "1.5"],
    [1234.5678, "1235"],
    [0, "0"],
    [0.000012346, "1.235e-5"],
    [1e-7, "1e-7"],
    [12345678, "1.235e+7"],
    [Number.NaN, "NaN"],
  ])("shows loss %s as %s", (loss, shown) => {
    expect(shortNumber(loss)).toBe(shown);
  });

  it.each([
    [
      "mid-run: the loss also short, the ETA kept",
      { epoch: 3, epochs: 10, percentage: 30, loss: 0.123456, estimatedRemainingSeconds: 40 },
      { epoch: 3, epochs: 10, percentage: 30, loss: 0.123456, shortLoss: "0.1235", estimatedRemainingSeconds: 40 },
    ],
    [
      "at 100 %: the ETA removed",
      { epoch: 10, epochs: 10, percentage: 100, loss: 0.01, estimatedRemainingSeconds: 0 },
      { epoch: 10, epochs: 10, percentage: 100, loss: 0.01, shortLoss: "0.01", estimatedRemainingSeconds: null },
    ],
  ])("status.progress %s", (_case, report, patch) => {
    expect(progressPatch(report)).toEqual(patch);
  });

  it.each([
    [
      "a run that failed mid-way with an ETA shown: the ETA removed",
      [{ epoch: 2, epochs: 9, percentage: 22 }],
      true,
      2,
    ],
    ["no ETA shown: nothing more", [{ epoch: 2, epochs: 9, percentage: 22 }], false, 1],
    ["its last report at 100 % removed it already", [{ epoch: 9, epochs: 9, percentage: 100 }], true, 1],
  ])("on finishing, %s", async (_case, reports, etaShown, count) => {
    const { writes, w } = recordingWriter();
    w.offer("ml", "penguins", { epoch: 1, epochs: 9, percentage: 11 });
    for (const r of reports) w.offer("ml", "penguins", r);
    await w.finish("ml", "penguins", etaShown);
    expect(writes.length - 1).toBe(count);
    if (count === 2) expect(writes.at(-1)).toEqual({ status: { progress: { estimatedRemainingSeconds: null } } });
    w.stop();
  });

  it("on finishing, writes what is held and waits for the writes in flight", async () => {
    const { writes, w } = recordingWriter();
    w.offer("ml", "penguins", { epoch: 1, epochs: 60, percentage: 2 });
    w.offer("ml", "penguins", { epoch: 9, epochs: 60, percentage: 15 }); // held: NaN loss ends the run here
    await vi.advanceTimersByTimeAsync(0);
    expect(writes).toHaveLength(1);
    await w.flushNow("ml", "penguins");
    expect(writes.at(-1)).toEqual({ status: { progress: { epoch: 9, epochs: 60, percentage: 15 } } });
    await vi.advanceTimersByTimeAsync(6000);
    expect(writes).toHaveLength(2);
    await w.flushNow("ml", "penguins"); // nothing held
    expect(writes).toHaveLength(2);
    w.stop();
  });

  it("a job deleted a moment ago is gone: a debug line, no warning, and its held report dropped", async () => {
    vi.useFakeTimers();
    let writes = 0;
    const client = {
      mergePatch: async () => {
        writes++;
        throw new KubeApiError(
          404,
          { reason: "NotFound" },
          "PATCH",
          "/apis/liftoff.dev/v1alpha1/trainingjobs/gone/status",
        );
      },
    };
    const lines: string[] = [];
    const log = { warn: () => lines.push("warn"), debug: (_o: unknown, m: string) => lines.push(`debug ${m}`) };
    const w = new ProgressWriter(client as never, log as never, 5000, () => Date.now());
    w.offer("ml", "gone", { epoch: 1, epochs: 5, percentage: 20 });
    await vi.advanceTimersByTimeAsync(0);
    expect(lines).toEqual(["debug gone before its progress was written"]);
    w.offer("ml", "gone", { epoch: 2, epochs: 5, percentage: 40 });
    await vi.advanceTimersByTimeAsync(6000);
    // Forgotten: the next report starts a fresh slot and is written at once (one more 404), never held and retried.
    expect(writes).toBe(2);
    w.stop();
  });
});

describe("TrainingJobReconciler", () => {
  it("a job deleted between its cache read and its status write is gone: a debug line, not a reconcile error", async () => {
    const notFound = new KubeApiError(404, { reason: "NotFound" }, "PATCH", "/apis/liftoff.dev/v1alpha1/…/status");
    const client = { apply: async () => Promise.reject(notFound), mergePatch: async () => ({}) };
    const lines: string[] = [];
    const log = { debug: (m: string) => lines.push(`debug ${m}`), info: () => {}, warn: () => {} };
    const r = new TrainingJobReconciler({
      client: client as never,
      caches: {
        trainingJobs: new FakeCache(RESOURCES.TrainingJob, [tj()]),
        dataSets: new FakeCache(RESOURCES.DataSet),
        jobs: new FakeCache(RESOURCES.Job),
        serviceAccounts: new FakeCache(RESOURCES.ServiceAccount),
        pods: new FakeCache(RESOURCES.Pod),
      },
      events: { record: async () => {} } as never,
      runtimeImage: "r/x:1",
      progress: new ProgressWriter(client as never, log as never),
      now,
    });
    await expect(
      r.reconcile("ml/penguins", { log: log as never, signal: new AbortController().signal }),
    ).resolves.toBeUndefined();
    expect(lines).toEqual(["debug gone before its status was written"]);
  });

  /** A reconciler over a Ready DataSet and a client that answers applies like a server (a Job refusal optional). */
  function overReadyDataSet(refuseJob?: KubeApiError) {
    const calls: Array<{ what: string; signal?: AbortSignal | undefined; body: KubeObject }> = [];
    const client = {
      apply: async (r: ResourceType, obj: KubeObject, sub?: string, ro?: { signal?: AbortSignal }) => {
        calls.push({ what: `${r.kind}${sub ? `/${sub}` : ""}`, signal: ro?.signal, body: obj });
        if (refuseJob && r === RESOURCES.Job) throw refuseJob;
        return { ...obj, metadata: { ...obj.metadata, resourceVersion: "2" } };
      },
    };
    const ready = {
      type: "Ready",
      status: "True" as const,
      reason: "Prepared",
      message: "",
      lastTransitionTime: now(),
    };
    const caches = {
      trainingJobs: new FakeCache(RESOURCES.TrainingJob, [tj()]),
      dataSets: new FakeCache(RESOURCES.DataSet, [{ ...dataSet, status: { ...dataSet.status, conditions: [ready] } }]),
      jobs: new FakeCache(RESOURCES.Job),
      serviceAccounts: new FakeCache(RESOURCES.ServiceAccount),
      pods: new FakeCache(RESOURCES.Pod),
    };
    const log = { debug: () => {}, info: () => {}, warn: () => {} };
    const r = new TrainingJobReconciler({
      client: client as never,
      caches,
      events: { record: async () => {} } as never,
      runtimeImage: "r/x:1",
      progress: new ProgressWriter(client as never, log as never),
      now,
    });
    const ac = new AbortController();
    const reconcile = () => r.reconcile("ml/penguins", { log: log as never, signal: ac.signal });
    return { calls, caches, client, reconcile, signal: ac.signal };
  }

  it("applies its children and status with the reconcile's signal, and nothing once the caches hold them", async () => {
    const h = overReadyDataSet();
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["ServiceAccount", "Job", "TrainingJob/status"]);
    expect(h.calls.every((c) => c.signal === h.signal)).toBe(true);
    const [sa, job, status] = h.calls
      .splice(0)
      .map((c) => ({ ...c.body, metadata: { ...c.body.metadata, resourceVersion: "2" } }));
    h.caches.serviceAccounts.set(sa as never);
    h.caches.jobs.set(job as Job);
    h.caches.trainingJobs.set(tj({}, (status as TrainingJob).status));
    await h.reconcile();
    expect(h.calls).toEqual([]);
  });

  it.each([
    ["Succeeded", "Succeeded"],
    ["Failed", "BackoffLimitExceeded"],
  ] as const)(
    "an operator with other flags writes nothing for a %s run, its Job or its status",
    async (phase, reason) => {
      const h = overReadyDataSet();
      const withReport = desiredObjects(tj(), {
        runtimeImage: "r/x:1",
        data,
        report: { url: "https://x/v1/report", caPem: "P" },
      });
      h.caches.jobs.set(withReport[1]?.object as Job);
      const cond = { type: "Ready", status: "False" as const, reason, message: "m", lastTransitionTime: now() };
      h.caches.trainingJobs.set(tj({}, { phase, conditions: [cond] }));
      h.caches.dataSets.remove(h.caches.dataSets.get("ml/penguins") as DataSet);
      await h.reconcile();
      expect(h.calls).toEqual([]);
    },
  );

  it("finding: a TrainingJob picks its Job by name without an owner check — a Job it does not control is never read or updated", async () => {
    const h = overReadyDataSet();
    const patches: unknown[] = [];
    (h.client as { mergePatch?: unknown }).mergePatch = async (_r: unknown, _ns: unknown, _n: unknown, p: unknown) => {
      patches.push(p);
      return { metadata: { resourceVersion: "3" } };
    };
    const desired = desiredObjects(tj(), { runtimeImage: "r/x:1", data }).find((d) => d.resource === RESOURCES.Job);
    const forged = { ...(desired?.object as Job), status: { active: 1 } };
    forged.metadata = { ...forged.metadata, uid: "forged", ownerReferences: [] };
    h.caches.jobs.set(forged);
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["TrainingJob/status"]);
    expect(patches).toEqual([]);
    const status = (h.calls[0]?.body as TrainingJob | undefined)?.status;
    expect(status?.phase).not.toBe("Running");
    expect(status?.conditions?.find((c) => c.type === "Ready")).toMatchObject({
      status: "False",
      reason: Reason.ApplyFailed,
      message: expect.stringMatching(/exists but is not controlled by this TrainingJob/),
    });
  });

  it("starts no training on a DataSet being deleted", async () => {
    const h = overReadyDataSet();
    const current = h.caches.dataSets.get("ml/penguins") as DataSet;
    h.caches.dataSets.set({ ...current, metadata: { ...current.metadata, deletionTimestamp: now() } });
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["TrainingJob/status"]);
    const ready = (h.calls[0]?.body as TrainingJob | undefined)?.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({
      reason: Reason.DataSetNotReady,
      message: expect.stringMatching(/^DataSet penguins is being deleted, so training does not start/),
    });
  });

  it("a running Job made with other settings keeps its template: no apply, only its run policy follows the spec", async () => {
    const h = overReadyDataSet();
    const patches: unknown[] = [];
    (h.client as { mergePatch?: unknown }).mergePatch = async (
      _r: unknown,
      _ns: unknown,
      _n: unknown,
      patch: unknown,
    ) => {
      patches.push(patch);
      return { metadata: { resourceVersion: "3" } };
    };
    const withReport = desiredObjects(tj(), {
      runtimeImage: "r/x:1",
      data,
      report: { url: "https://x/v1/report", caPem: "P" },
    });
    h.caches.serviceAccounts.set(withReport[0]?.object as never);
    h.caches.jobs.set({ ...(withReport[1]?.object as Job), status: { active: 1 } });
    h.caches.trainingJobs.set(tj({ runPolicy: { backoffLimit: 3, suspend: true } }));
    await h.reconcile();
    expect(h.calls.map((c) => c.what)).toEqual(["TrainingJob/status"]);
    expect(patches).toEqual([{ spec: { suspend: true } }]);
  });

  it("a Job the API server refuses for good fails the run with ApplyFailed, stalled", async () => {
    const h = overReadyDataSet(new KubeApiError(422, { message: "denied by policy" }, "PATCH", "/apis/batch/v1/…"));
    await h.reconcile();
    const written = h.calls.find((c) => c.what === "TrainingJob/status")?.body as TrainingJob;
    expect(written.status?.phase).toBe("Failed");
    const stalled = written.status?.conditions?.find((c) => c.type === "Stalled");
    expect(stalled).toMatchObject({ status: "True", reason: Reason.ApplyFailed });
    expect(stalled?.message).toBe("cannot apply Job penguins-train: denied by policy");
  });
});

describe("training Job on s3://", () => {
  const storage = { endpoint: "http://10.88.0.1:8333", credentials: { vaultKV: { path: "secret/data/liftoff/s3" } } };
  const s3DataSet: DataSet = {
    metadata: { name: "penguins", namespace: "ml" },
    spec: { output: { uri: "s3://liftoff/datasets/penguins/" }, storage } as DataSet["spec"],
    status: { digest: `sha256:${HEX}`, conditions: [] },
  };
  const s3Data = dataVersionOf(s3DataSet) as DataVersion;
  const vault = { address: "https://vault:8200", caConfigMap: { name: "kube-root-ca.crt", key: "ca.crt" } };
  const jobFor = (d: DataVersion, spec: Partial<TrainingJobSpec> = {}) =>
    desiredObjects(tj(spec), { runtimeImage: "r/x:1", data: d, vault })[1]?.object as Job;

  it("reads the version from the bucket and writes the model next to it, with no claim, the DataSet's storage and Vault", () => {
    const job = jobFor(s3Data);
    const p = job.spec?.template.spec;
    const c = p?.containers[0];
    expect(c?.args?.slice(0, 7)).toEqual([
      "train",
      "--data",
      `s3://liftoff/datasets/penguins/${HEX}`,
      "--data-digest",
      `sha256:${HEX}`,
      "--out",
      "s3://liftoff/datasets/penguins/models/penguins",
    ]);
    expect(c?.args?.slice(7, 9)).toEqual([
      "--checkpoint-dir",
      "s3://liftoff/datasets/penguins/models/penguins/.checkpoints/u-1",
    ]);
    expect(p?.volumes?.map((v) => v.name)).toEqual(["tmp", "scratch", "liftoff-vault"]);
    const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));
    expect(env.AWS_ENDPOINT_URL_S3).toBe("http://10.88.0.1:8333");
    expect(env.LIFTOFF_S3_VAULT_KV_PATH).toBe("secret/data/liftoff/s3");
    expect(env.LIFTOFF_SCRATCH).toBe("/scratch");
    expect(env.LIFTOFF_VAULT_ROLE).toBe("liftoff-ml-penguins-train");
    expect(jobDataVersion(job)).toEqual({
      base: "s3://liftoff/datasets/penguins",
      digest: `sha256:${HEX}`,
      encrypted: false,
    });
    expect(outputUriOf(outputOf(tj(), s3Data))).toBe("s3://liftoff/datasets/penguins/models/penguins");
  });

  it("its own spec.storage and output.uri win; a claim DataSet with an s3 output mounts only the data claim", () => {
    const own = { region: "eu-west-1" };
    const c = jobFor(data, { output: { uri: "s3://models/churn" }, storage: own }).spec?.template.spec;
    expect(c?.volumes?.map((v) => v.name)).toEqual(["tmp", "data", "scratch"]);
    expect(c?.containers[0]?.volumeMounts).toContainEqual({ name: "data", mountPath: "/mnt/pvc/data", readOnly: true });
    const env = c?.containers[0]?.env ?? [];
    expect(env).toContainEqual({ name: "AWS_REGION", value: "eu-west-1" });
    // No Vault: neither encrypted data nor Vault-held keys (the pod's own AWS identity).
    expect(env.some((e) => e.name.startsWith("LIFTOFF_VAULT_"))).toBe(false);
    expect(c?.containers[0]?.args).toContain("s3://models/churn");
  });
});
