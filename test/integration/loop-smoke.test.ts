// The closed loop's first half on the local cluster, against the real operator, DataSet prepare and training pods: a
// person starts a loop with the liftoff.dev/retrain annotation, the operator creates the loop's DataSet and
// TrainingJob (owned, labelled, named <mdep>-loop-1), trains, and puts the candidate out as the canary. The full loop
// (captured traffic, judging, promotion, rollback, operator restarts) is closed-loop.test.ts.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { AppsV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { applyObject, type LiftoffObject, readObject, waitForCondition } from "../../hack/demo/kube.js";
import { loadSample, PENGUINS_CSV } from "../../hack/demo/samples.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "loop-smoke", {
  flags: async () => ["--leader-elect=false", "--monitoring-period=5", ...(await reportFlags(inject("clusterName")))],
});
const apps = admin.makeApiClient(AppsV1Api);
const custom = admin.makeApiClient(CustomObjectsApi);
const CLAIM = "liftoff-data";
let ns: string;

const ref = (kind: LiftoffObject["kind"], name: string) => ({ kind, namespace: ns, name });

beforeAll(async () => {
  ns = fx.ns.name;
  const folder = await claimHostFolder(admin, ns, CLAIM);
  mkdirSync(join(folder, "raw"), { recursive: true });
  copyFileSync(PENGUINS_CSV, join(folder, "raw", "penguins.csv"));
  // Unencrypted: the smoke needs no Vault (closed-loop.test.ts runs the loop with encryption and capture).
  const ds = loadSample("dataset", ns);
  delete (ds.spec as Obj).encryption;
  await applyObject(admin, ds);
  const tj = loadSample("trainingjob", ns);
  const spec = tj.spec as Obj;
  spec.hyperparameters = { ...spec.hyperparameters, epochs: 5 };
  await applyObject(admin, tj);
  await waitForCondition(admin, ref("TrainingJob", "penguins"), "Succeeded", { timeoutMs: 400_000 }).catch(
    async (err) => {
      const ds = await readObject(admin, ref("DataSet", "penguins"));
      const t = await readObject(admin, ref("TrainingJob", "penguins"));
      throw new Error(
        `${(err as Error).message}: DataSet ${JSON.stringify(ds.status)}; TrainingJob ${JSON.stringify(t.status)}`,
      );
    },
  );
}, 450_000);

describe("the closed loop on the local cluster (smoke)", () => {
  it("liftoff.dev/retrain starts loop 1: its DataSet and TrainingJob are created once, owned, and the candidate becomes the canary, judged once ready", {
    timeout: 420_000,
  }, async () => {
    await createModelDeployment(admin, ns, "penguins", {
      model: { trainingJobRef: { name: "penguins" } },
      resources: { cpu: "250m", memory: "512Mi" },
      retrain: { trainingJob: { hyperparameters: { epochs: 3 } }, canary: { trafficPercent: 50 } },
    });
    const mdep = () => getModelDeployment(admin, ns, "penguins");
    await pollUntil("status.loop Watching", async () => (await mdep()).status?.loop?.stage === "Watching", {
      timeoutMs: 60_000,
    });
    await custom.patchNamespacedCustomObject(
      {
        group: "liftoff.dev",
        version: "v1alpha1",
        namespace: ns,
        plural: "modeldeployments",
        name: "penguins",
        body: { metadata: { annotations: { "liftoff.dev/retrain": "smoke-1" } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const retraining = await pollUntil(
      "status.loop Retraining",
      async () => {
        const m = await mdep();
        return m.status?.loop?.stage === "Retraining" ? m : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(retraining.status.loop).toMatchObject({
      iteration: 1,
      trigger: { reason: "Manual" },
      manualToken: "smoke-1",
      dataSet: "penguins-loop-1",
      trainingJob: "penguins-loop-1",
    });
    const tj = await readObject(admin, ref("TrainingJob", "penguins-loop-1"));
    expect(tj.metadata.labels?.["liftoff.dev/loop"]).toBe("penguins");
    expect(tj.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "ModelDeployment",
      name: "penguins",
      controller: true,
    });
    expect((tj.spec as Obj).dataSetRef).toEqual({ name: "penguins-loop-1" });
    expect((tj.spec as Obj).hyperparameters.epochs).toBe(3);
    expect((tj.spec as Obj).output).toEqual({ claimName: CLAIM, path: "models/penguins-loop-1" });

    let last: Obj = {};
    const canary = await pollUntil(
      "status.loop Canary",
      async () => {
        last = await mdep();
        const stage = last.status?.loop?.stage;
        if (stage === "Failed") throw new Error(`loop failed: ${JSON.stringify(last.status.loop)}`);
        return stage === "Canary" ? last : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 1000 },
    ).catch((err) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(last.status?.loop)}`);
    });
    const done = await readObject(admin, ref("TrainingJob", "penguins-loop-1"));
    expect(canary.status.loop.candidate.uri).toBe((done.status as Obj).model.uri);
    expect(canary.status.loop.lineage.modelDigest).toBe((done.status as Obj).model.digest);
    // The canary Deployment serves the candidate; the ModelDeployment's spec is as the person wrote it.
    const dep = await pollUntil(
      "the canary Deployment",
      async () => apps.readNamespacedDeployment({ name: "penguins-canary", namespace: ns }).catch(() => undefined),
      { timeoutMs: 30_000 },
    );
    const env = dep.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === "LIFTOFF_MODEL_URI")?.value).toBe((done.status as Obj).model.uri);
    const m = await mdep();
    expect(m.spec.canary).toBeUndefined();
    expect(m.spec.model).toEqual({ trainingJobRef: { name: "penguins" }, format: "tfjs-layers" });
    // Once the canary has a ready pod it is judged every period: without feedback the judge waits (no decision yet).
    const judged = await pollUntil(
      "the canary judged",
      async () => {
        last = await mdep();
        return last.status?.loop?.figures ? last : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    ).catch((err) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(last.status?.loop)}`);
    });
    expect(judged.status.loop).toMatchObject({ stage: "Canary", reason: "NotEnoughFeedback" });
    expect(judged.status.loop.decision).toBeUndefined();
    // One loop, one TrainingJob.
    const tjs = await custom.listNamespacedCustomObject({
      group: "liftoff.dev",
      version: "v1alpha1",
      namespace: ns,
      plural: "trainingjobs",
      labelSelector: "liftoff.dev/loop=penguins",
    });
    expect((tjs as { items: Obj[] }).items.map((t) => t.metadata.name)).toEqual(["penguins-loop-1"]);
  });
});
