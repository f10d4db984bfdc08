// The lifecycle a new user walks into on the local cluster: finished work under an operator started again with
// other flags (nothing changes, only new work waits), a DataSet deleted while a TrainingJob and what it trained still
// use it (protected, Terminating naming who, nothing corrupted), and a prepare pod the scheduler cannot place (said in
// the DataSet's status, not just "preparing").
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { BatchV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { deleteAndWait, readObject, waitForCondition } from "../../hack/demo/kube.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import {
  condition,
  createDataSet,
  deleteDataSet,
  getDataSet,
  PENGUINS_CSV,
  PENGUINS_SCHEMA,
  PENGUINS_TRANSFORMS,
  penguinsTrainingJob,
  waitSettled,
} from "../support/dataset.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import {
  createModelDeployment,
  forbiddenRequests,
  operatorFixture,
  settled,
  startTestOperator,
  totalWrites,
} from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";

const run = promisify(execFile);
const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "lifecycle", { start: false });
const batch = admin.makeApiClient(BatchV1Api);
let op: OperatorHandle | undefined;
let flags: string[];
let folder: string;
let ns: string;

const ref = (kind: "DataSet" | "TrainingJob" | "ModelDeployment", name: string) => ({ kind, namespace: ns, name });

const penguins = (path: string, resources: Obj = { cpu: "1", memory: "512Mi" }) => ({
  source: { inline: { data: PENGUINS_CSV } },
  schema: PENGUINS_SCHEMA,
  transforms: PENGUINS_TRANSFORMS,
  output: { claimName: "data", path },
  resources,
});

async function createTrainingJob(name: string, epochs: number): Promise<void> {
  const tj = penguinsTrainingJob(epochs, name);
  await admin.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: ns,
    plural: "trainingjobs",
    body: { apiVersion: "liftoff.dev/v1alpha1", ...tj, metadata: { name, namespace: ns } },
  });
}

/** Merges `spec` into a DataSet's spec (a new generation). */
async function patchDataSet(name: string, spec: Obj): Promise<void> {
  await admin
    .makeApiClient(CustomObjectsApi)
    .patchNamespacedCustomObject(
      { group: "liftoff.dev", version: "v1alpha1", namespace: ns, plural: "datasets", name, body: { spec } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
}

/** Stops the running operator and starts one with `extra` flags. */
async function restartOperator(extra: string[]): Promise<OperatorHandle> {
  await op?.stop();
  op = await startTestOperator(fx.operatorKc, [ns], ["--leader-elect=false", ...extra]);
  await op.leading;
  return op;
}

/** What must not move: each object's status (progress aside) and the Jobs' resourceVersions. */
async function snapshot(): Promise<Obj> {
  const status = async (kind: "DataSet" | "TrainingJob" | "ModelDeployment", name: string) => {
    const { progress: _p, ...rest } = (await readObject(admin, ref(kind, name))).status ?? {};
    return rest;
  };
  const jobs = await batch.listNamespacedJob({ namespace: ns });
  return {
    dataSet: await status("DataSet", "penguins"),
    trainingJob: await status("TrainingJob", "done"),
    modelDeployment: await status("ModelDeployment", "serve"),
    jobs: Object.fromEntries(jobs.items.map((j) => [j.metadata?.name, j.metadata?.resourceVersion])),
  };
}

beforeAll(async () => {
  ns = fx.ns.name;
  flags = await reportFlags(inject("clusterName"));
  folder = await claimHostFolder(admin, ns, "data");
  await restartOperator(flags);
  await createDataSet(admin, ns, "penguins", penguins("datasets/penguins"));
  const ds = await waitSettled(admin, ns, "penguins", 120_000);
  expect(condition(ds, "Ready")?.status, JSON.stringify(ds.status?.conditions)).toBe("True");
  await createTrainingJob("done", 2);
  await waitForCondition(admin, ref("TrainingJob", "done"), "Succeeded", { timeoutMs: 180_000 });
  await createModelDeployment(admin, ns, "serve", {
    model: { trainingJobRef: { name: "done" } },
    replicas: 1,
    resources: { cpu: "250m", memory: "512Mi" },
  });
  await waitForCondition(admin, ref("ModelDeployment", "serve"), "Ready", { timeoutMs: 120_000 });
}, 420_000);

afterAll(async () => {
  await op?.stop();
});

/** `kubectl get <what> -n ns [flags]`: its table as rows of cells (header first), cut where the header's columns start. */
async function table(what: string, flags: string[] = []): Promise<string[][]> {
  const { stdout } = await run(inject("kubectl"), ["get", what, "-n", ns, ...flags], {
    env: { ...process.env, KUBECONFIG: inject("kubeconfig") },
  });
  const [header = "", ...rows] = stdout.trimEnd().split("\n");
  const starts = [...header.matchAll(/(?:^|\s{2,})(\S)/g)].map((m) => (m.index ?? 0) + m[0].length - 1);
  const cells = (line: string) => starts.map((at, i) => line.slice(at, starts[i + 1]).trim());
  return [cells(header), ...rows.map(cells)];
}

describe("lifecycle on the local cluster", () => {
  it("`kubectl get` shows what a person scans for: LOSS to 4 digits, no ETA once ended, the model's TrainingJob", async () => {
    const tj = await readObject(admin, ref("TrainingJob", "done"));
    const [head, row] = await table("tj/done");
    expect(head).toEqual(["NAME", "STATUS", "PROGRESS", "LOSS", "ETA", "AGE"]);
    expect(row?.slice(0, 5)).toEqual(["done", "Succeeded", "100", tj.status.progress.shortLoss, ""]);
    expect(Number(tj.status.progress.shortLoss)).toBeCloseTo(tj.status.progress.loss, 3);
    expect(tj.status.progress.estimatedRemainingSeconds).toBeUndefined();
    const [wideHead, wideRow] = await table("tj/done", ["-o", "wide"]);
    expect(Number(wideRow?.[wideHead?.indexOf("EXACT LOSS") ?? -1])).toBe(tj.status.progress.loss);

    const mdep = await readObject(admin, ref("ModelDeployment", "serve"));
    const [mHead, mRow] = await table("mdep/serve");
    expect(mRow?.[mHead?.indexOf("MODEL") ?? -1]).toBe("done");
    const [mWideHead, mWideRow] = await table("mdep/serve", ["-o", "wide"]);
    expect(mWideRow?.[mWideHead?.indexOf("MODEL URI") ?? -1]).toBe(mdep.status.model.uri);
  });

  it("an operator started again without the report flags changes nothing finished; only new work waits, naming the flag", {
    timeout: 240_000,
  }, async () => {
    const before = await snapshot();
    expect(before.trainingJob.model.uri).toMatch(/^pvc:\/\/data\/models\/done\/[0-9a-f]{64}$/);

    const bare = await restartOperator([]);
    await settled(bare);
    expect(await snapshot()).toEqual(before);
    expect(totalWrites(bare)).toBe(0);

    // New work under it waits, and says which flag to pass.
    await createDataSet(admin, ns, "later", penguins("datasets/later"));
    const later = await waitSettled(admin, ns, "later");
    expect(condition(later, "Failed")).toMatchObject({ status: "True", reason: "ReportingDisabled" });
    expect(condition(later, "Failed")?.message).toContain("--report-url");
    await settled(bare);
    expect(await snapshot()).toEqual(before);

    // The right flags again: the new work runs, the finished work is still as it was.
    const again = await restartOperator(flags);
    // The condition it had says Failed until this operator has reconciled it: wait for Ready alone.
    await waitForCondition(admin, ref("DataSet", "later"), "Ready", { timeoutMs: 120_000, failOn: [] });
    await settled(again);
    const after = await snapshot();
    expect({ ...after, jobs: {} }).toEqual({ ...before, jobs: {} });
    for (const [name, rv] of Object.entries(before.jobs)) expect(after.jobs[name], name).toBe(rv);
    expect(await forbiddenRequests(again)).toEqual([]);
  });

  it("a DataSet deleted while in use stays Terminating, naming who uses it, with nothing corrupted; it goes once they do", {
    timeout: 240_000,
  }, async () => {
    // A new generation keeping one version would prune the one "done" trained on: it stays, being in use.
    const trainedOn = (await readObject(admin, ref("TrainingJob", "done"))).status.model.dataSetDigest as string;
    await patchDataSet("penguins", { retainVersions: 1, split: { seed: 7 } });
    await waitForCondition(admin, ref("DataSet", "penguins"), "Ready", { timeoutMs: 120_000, failOn: [] });
    const before = await snapshot();
    const hex = before.dataSet.digest.slice("sha256:".length);
    expect(hex).not.toBe(trainedOn.slice("sha256:".length));
    expect(readdirSync(join(folder, "datasets/penguins")).sort()).toEqual(
      [hex, trainedOn.slice("sha256:".length)].sort(),
    );
    await deleteDataSet(admin, ns, "penguins");
    const terminating = await pollUntil(
      "DataSet penguins Terminating with InUse",
      async () => {
        const ds = await getDataSet(admin, ns, "penguins");
        const c = ds && condition(ds, "Terminating");
        return ds?.metadata.deletionTimestamp && c?.reason === "InUse" ? c : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(terminating.message).toBe(
      "deletion waits while TrainingJob done still use it; it completes once it is deleted",
    );
    // A TrainingJob created now does not start on it, and does not hold it.
    await createTrainingJob("late", 2);
    const late = await pollUntil(
      "TrainingJob late waiting",
      async () => {
        const tj = await readObject(admin, ref("TrainingJob", "late"));
        const ready = tj.status?.conditions?.find((c: Obj) => c.type === "Ready");
        return ready?.reason === "DataSetNotReady" ? ready : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(late.message).toMatch(/^DataSet penguins is being deleted, so training does not start/);
    await settled(op as OperatorHandle);
    // Nothing corrupted: the version stays on the claim, the finished run and what serves it are as they were.
    expect(readdirSync(join(folder, "datasets/penguins")).sort()).toEqual(
      [hex, trainedOn.slice("sha256:".length)].sort(),
    );
    const now = await snapshot();
    expect(now.trainingJob).toEqual(before.trainingJob);
    expect(now.modelDeployment).toEqual(before.modelDeployment);
    expect(condition(now.dataSet, "Ready")).toEqual(condition(before.dataSet, "Ready"));

    // Its users gone, the deletion completes: cleanup Job, versions removed, finalizer released.
    await deleteAndWait(admin, ref("ModelDeployment", "serve"), 60_000);
    await deleteAndWait(admin, ref("TrainingJob", "done"), 60_000);
    await pollUntil("DataSet penguins gone", async () => (await getDataSet(admin, ns, "penguins")) === undefined, {
      timeoutMs: 90_000,
      intervalMs: 250,
    });
    expect(existsSync(join(folder, "datasets/penguins")) ? readdirSync(join(folder, "datasets/penguins")) : []).toEqual(
      [],
    );
  });

  it("a prepare pod the scheduler cannot place is said in the DataSet's status", { timeout: 120_000 }, async () => {
    await createDataSet(admin, ns, "huge", penguins("datasets/huge", { cpu: "64", memory: "512Mi" }));
    const ready = await pollUntil(
      "DataSet huge Unschedulable",
      async () => {
        const ds = await getDataSet(admin, ns, "huge");
        const c = ds && condition(ds, "Ready");
        return c?.reason === "Unschedulable" ? c : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(ready.status).toBe("False");
    expect(ready.message).toMatch(
      /^huge-prepare-g1 cannot start generation 1: pod huge-prepare-g1-\w+: .*Insufficient cpu/,
    );
    const ds = (await getDataSet(admin, ns, "huge")) as Obj;
    expect(condition(ds, "Progressing")).toMatchObject({ status: "True", reason: "Unschedulable" });
    expect(condition(ds, "Failed")?.status).toBe("False");
  });
});
