// The closed loop (issue #28, docs/loop.md) on the local cluster, against the real runtime, operator (its own
// process, so it can be SIGKILLed), OpenBao (the DataSet, the training pods and the capture all use one transit key)
// and Prometheus (it scrapes the operator's loop metrics):
//   (a) concept drift: the penguins' labels start to follow a changed rule (a fixed permutation of the species);
//       live accuracy falls, Degraded turns on, and the loop captures the traffic, retrains on the original rows plus
//       the captured ones, canaries the candidate, sees it is more accurate on live feedback and promotes it, with no
//       one touching the ModelDeployment's spec;
//   (b) a worse candidate (a broken learning rate, started by hand with the liftoff.dev/retrain annotation) is rolled
//       back while a client sends requests throughout: the stable model keeps serving and no request fails;
//   (c) the operator SIGKILLed during Retraining and again during Canary: each restart resumes the same loop (the
//       same TrainingJob, the same canary Deployment) and it finishes.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { readyEndpoints } from "../../devcluster/node-agent/service-endpoint.js";
import { penguins, sampler } from "../../hack/demo/concept-drift.js";
import { applyObject, readObject, waitForCondition } from "../../hack/demo/kube.js";
import { burst, startTraffic, type Traffic } from "../../hack/demo/loop-traffic.js";
import { loadSample, PENGUINS_CSV } from "../../hack/demo/samples.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { kubeconfigFile, type OperatorProcess, startOperatorProcess } from "../support/operator-process.js";
import { pollUntil } from "../support/poll.js";
import { startPrometheus, type TestPrometheus } from "../support/prometheus.js";
import { reportFlags } from "../support/report.js";
import { type TestVault, testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "closed-loop", { start: false });
const apps = admin.makeApiClient(AppsV1Api);
const core = admin.makeApiClient(CoreV1Api);
const custom = admin.makeApiClient(CustomObjectsApi);
const NAME = "penguins";
const CLAIM = "liftoff-data";
const BASE = Number(process.env.LIFTOFF_PORT_BASE ?? 17440);
const PROM_PORT = BASE + 45;
const OPERATOR_METRICS_PORT = BASE + 46;
/** Drifted rows sent (with their labels) before the model's accuracy can fall: the retrain's new rule must
 * outweigh the DataSet's 333 original rows several times over. */
const DRIFTED_BURST = 1500;
/** The loop's children are <mdep>-loop-<n>: the Vault roles are bound to the service accounts of the first few. */
const LOOP_NAMES = [1, 2, 3, 4, 5, 6].map((n) => `${NAME}-loop-${n}`);
const STAGES_DONE = ["Promoted", "RolledBack", "Failed"];

let ns: string;
let vault: TestVault;
let op: OperatorProcess | undefined;
let opFlags: string[];
let opKubeconfig: string;
let logFile: string;
let prometheus: TestPrometheus | undefined;
let traffic: Traffic | undefined;
const draw = sampler(penguins(readFileSync(PENGUINS_CSV, "utf8")), 28);

async function startOperator(): Promise<OperatorProcess> {
  op = await startOperatorProcess({
    kubeconfig: opKubeconfig,
    namespaces: [ns],
    metricsPort: OPERATOR_METRICS_PORT,
    flags: opFlags,
    logFile,
  });
  return op;
}

const mdep = () => getModelDeployment(admin, ns, NAME);
const loop = (m: Obj): Obj => m.status?.loop ?? {};
const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);
const where = (m: Obj) =>
  `loop ${JSON.stringify(loop(m))}; conditions ${JSON.stringify(m.status?.conditions)}; operator log ${logFile}`;

/** Polls the ModelDeployment until `test` holds; the failure message carries its loop status. */
async function waitMdep(what: string, test: (m: Obj) => boolean, timeoutMs: number): Promise<Obj> {
  let last: Obj = {};
  try {
    return await pollUntil(
      what,
      async () => {
        last = await mdep();
        return test(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}: ${where(last)}`);
  }
}

/** Waits until iteration `n` has ended (Promoted, RolledBack or Failed). */
const waitDone = (n: number, timeoutMs = 600_000) =>
  waitMdep(
    `loop iteration ${n} decided`,
    (m) => loop(m).iteration === n && STAGES_DONE.includes(loop(m).stage),
    timeoutMs,
  );

async function patchMdep(body: Obj): Promise<void> {
  await custom.patchNamespacedCustomObject(
    { group: "liftoff.dev", version: "v1alpha1", namespace: ns, plural: "modeldeployments", name: NAME, body },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

async function eventReasons(): Promise<string[]> {
  const events = await core.listNamespacedEvent({
    namespace: ns,
    fieldSelector: `involvedObject.kind=ModelDeployment,involvedObject.name=${NAME}`,
  });
  return events.items.map((e) => e.reason ?? "");
}

const deployment = (name: string) =>
  apps.readNamespacedDeployment({ name, namespace: ns }).then(
    (d) => d,
    () => undefined,
  );
const digestOf = (d: V1Deployment | undefined) =>
  d?.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === "LIFTOFF_MODEL_DIGEST")?.value;

async function loopTrainingJobs(): Promise<Obj[]> {
  const list = (await custom.listNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: ns,
    plural: "trainingjobs",
    labelSelector: `liftoff.dev/loop=${NAME}`,
  })) as { items: Obj[] };
  return list.items;
}

/** Waits until only the stable Deployment's pods are behind the Service and they serve `digest`. */
async function servingOnly(digest: string): Promise<void> {
  await pollUntil(
    `only ${digest.slice(0, 19)} behind the Service`,
    async () => {
      const stable = await deployment(`${NAME}-predictor`);
      if (digestOf(stable) !== digest || stable?.status?.updatedReplicas !== stable?.status?.readyReplicas)
        return false;
      if (await deployment(`${NAME}-canary`)) return false;
      const eps = await readyEndpoints(admin, ns, NAME, "http");
      return eps.length > 0 && eps.every((e) => e.pod?.startsWith(`${NAME}-predictor-`));
    },
    { timeoutMs: 180_000, intervalMs: 500 },
  );
}

beforeAll(async () => {
  ns = fx.ns.name;
  const cluster = inject("clusterName");
  vault = testVault(cluster);
  const transitKey = `${ns}-data`;
  await vault.createTransitKey(transitKey);
  // The prepare pods (the template DataSet and its loop copies) mint and unwrap data keys, and unwrap the capture's;
  // the training pods unwrap only; the serving pods mint (and unwrap) the capture's data keys.
  await vault.createRole(
    {
      name: `${ns}-dataset`,
      namespace: ns,
      serviceAccount: `${NAME}-dataset`,
      datakeyKeys: [transitKey],
      decryptKeys: [transitKey],
      versionKeys: { access: "write" },
      namespaceKv: false,
    },
    [NAME, ...LOOP_NAMES].map((n) => `${n}-dataset`),
  );
  for (const tj of [NAME, ...LOOP_NAMES]) {
    await vault.createRole(
      {
        name: `liftoff-${ns}-${tj}-train`,
        namespace: ns,
        serviceAccount: `${tj}-train`,
        decryptKeys: [transitKey],
        versionKeys: { access: "read" },
        namespaceKv: false,
      },
      [NAME, ...LOOP_NAMES].map((n) => `${n}-train`),
    );
  }
  await vault.createRole(
    {
      name: `liftoff-${ns}-${NAME}`,
      namespace: ns,
      serviceAccount: `${NAME}-runtime`,
      datakeyKeys: [transitKey],
      decryptKeys: [transitKey],
      namespaceKv: false,
    },
    [`${NAME}-runtime`],
  );

  opFlags = [
    "--leader-elect=false",
    // Monitoring figures every 2 s (60 s by default) so the loop sees live accuracy move within seconds.
    "--monitoring-period=2",
    ...(await reportFlags(cluster)),
    `--vault-addr=${vault.podAddress}`,
    "--vault-ca-configmap=kube-root-ca.crt",
  ];
  opKubeconfig = kubeconfigFile(fx.operatorKc);
  logFile = join(REPO_ROOT, ".liftoff", `closed-loop-operator-${ns}.log`);
  await startOperator();
  prometheus = await startPrometheus({
    binary: inject("prometheus"),
    kubeconfig: inject("kubeconfig"),
    namespace: ns,
    port: PROM_PORT,
    staticTargets: [{ job: "liftoff-operator", targets: [`127.0.0.1:${OPERATOR_METRICS_PORT}`] }],
  });

  const folder = await claimHostFolder(admin, ns, CLAIM);
  mkdirSync(join(folder, "raw"), { recursive: true });
  copyFileSync(PENGUINS_CSV, join(folder, "raw", "penguins.csv"));
  const ds = loadSample("dataset", ns);
  (ds.spec as Obj).encryption = { transitKey, vaultRole: `${ns}-dataset` };
  await applyObject(admin, ds);
  await waitForCondition(admin, { kind: "DataSet", namespace: ns, name: NAME }, "Ready", { timeoutMs: 180_000 });
  await applyObject(admin, loadSample("trainingjob", ns));
  await waitForCondition(admin, { kind: "TrainingJob", namespace: ns, name: NAME }, "Succeeded", {
    timeoutMs: 300_000,
  });
}, 600_000);

afterAll(async () => {
  await traffic?.stop();
  prometheus?.stop();
  await op?.stop();
});

describe("the closed loop on penguins", () => {
  it("(a) concept drift: live accuracy falls, the loop retrains on original + captured rows, and promotes the more accurate canary by itself", {
    timeout: 900_000,
  }, async () => {
    await createModelDeployment(admin, ns, NAME, {
      model: { trainingJobRef: { name: NAME } },
      replicas: 1,
      resources: { cpu: "250m", memory: "512Mi" },
      monitoring: { feedback: true, windowSeconds: 20, alerts: { minAccuracy: 0.7 } },
      capture: { uri: `pvc://${CLAIM}/capture/${NAME}`, sampleRate: 1, labelWaitSeconds: 120, flushSeconds: 1 },
      retrain: {
        triggers: { degraded: true },
        dataSet: { includeCaptured: true },
        canary: { trafficPercent: 50, minSamples: 40, readyTimeoutSeconds: 240, maxDurationSeconds: 420 },
        // One automatic loop in this test: the old model's wrong feedback stays in the window for a moment after
        // the promotion, and must not start a second one ((b) and (c) start theirs by hand, which no limit holds).
        limits: { minIntervalMinutes: 30, maxPerDay: 10 },
      },
    });
    const target = { kc: admin, namespace: ns, name: NAME };
    const ready = await waitMdep("penguins Ready", (m) => cond(m, "Ready")?.status === "True", 240_000);
    const stableDigest = digestOf(await deployment(`${NAME}-predictor`));
    expect(stableDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    // The world as the model learnt it: live accuracy is high.
    const calm = await burst(target, draw, 100, "original");
    expect(calm.failures).toEqual([]);
    const good = await waitMdep(
      "live accuracy from the original rule",
      (m) => (m.status?.monitoring?.quality?.feedback ?? 0) >= 100,
      60_000,
    );
    expect(good.status.monitoring.quality.accuracy).toBeGreaterThan(0.8);
    expect(cond(good, "Degraded")?.status).toBe("False");
    expect(loop(good).stage ?? "Watching").toBe("Watching");

    // The rule changes: every label now follows the permutation. The rows are captured with their labels.
    const drifted = await burst(target, draw, DRIFTED_BURST, "drifted");
    expect(drifted.failures).toEqual([]);
    traffic = startTraffic(target, { draw, rowsPerRequest: 6, intervalMs: 200, rule: "drifted" });

    const degraded = await waitMdep(
      "Degraded from live accuracy",
      (m) => cond(m, "Degraded")?.reason === "AccuracyBelowThreshold",
      90_000,
    );
    expect(cond(degraded, "Degraded")?.status).toBe("True");
    expect(degraded.status.monitoring.quality.accuracy).toBeLessThan(0.3);
    const started = await waitMdep("the loop started", (m) => loop(m).iteration === 1, 90_000);
    expect(loop(started).trigger.reason).toBe("Degraded");

    const done = await waitDone(1);
    const l = loop(done);
    expect(l.stage, where(done)).toBe("Promoted");
    expect(l.decision).toMatchObject({ decision: "promote" });
    expect(["CanaryMoreAccurate", "CanaryNotWorse"]).toContain(l.decision.reason);
    expect(l.decision.test).toMatch(/z/);
    // The figures the decision used: the candidate is far more accurate on the new rule than the old model.
    expect(l.figures.canary.feedback).toBeGreaterThanOrEqual(40);
    expect(l.figures.stable.feedback).toBeGreaterThanOrEqual(40);
    expect(l.figures.canary.accuracy).toBeGreaterThan(l.figures.stable.accuracy + 0.4);
    // The client saw the same, from the labels it got back.
    const tally = traffic.stats.tracks;
    expect((tally.canary?.right ?? 0) / (tally.canary?.rows ?? 1)).toBeGreaterThan(
      (tally.stable?.right ?? 0) / (tally.stable?.rows ?? 1),
    );

    // Lineage: the captured rows went into the loop's DataSet, whose digest trained the promoted model.
    const ds = await readObject(admin, { kind: "DataSet", namespace: ns, name: l.dataSet });
    expect(ds.metadata.ownerReferences?.[0]).toMatchObject({ kind: "ModelDeployment", name: NAME, controller: true });
    expect(ds.spec.source.captured.modelDeploymentRef.name).toBe(NAME);
    expect(ds.status.rows.captured).toBeGreaterThanOrEqual(DRIFTED_BURST);
    expect(l.lineage.capturedRows).toBe(ds.status.rows.captured);
    expect(l.lineage.capturedVersions).toBeGreaterThan(0);
    expect(l.lineage.dataDigest).toBe(ds.status.digest);
    const tj = await readObject(admin, { kind: "TrainingJob", namespace: ns, name: l.trainingJob });
    expect(tj.spec.dataSetRef.name).toBe(l.dataSet);
    expect(l.lineage.modelDigest).toBe(tj.status.model.digest);
    expect(l.candidate.digest).toBe(tj.status.model.digest);
    expect(l.promoted).toMatchObject({ digest: tj.status.model.digest, trainingJob: l.trainingJob });
    expect(l.promoted.digest).not.toBe(stableDigest);

    // GitOps-safe: nobody wrote the spec; the new digest serves from the stable Deployment.
    expect(done.metadata.generation).toBe(ready.metadata.generation);
    expect(done.spec).toEqual(ready.spec);
    expect(done.spec.model.trainingJobRef).toEqual({ name: NAME });
    await servingOnly(l.promoted.digest);
    // One Event per stage change: the stage while it runs, the decision's reason when it ends.
    expect(await eventReasons()).toEqual(expect.arrayContaining(["Retraining", "Canary", l.decision.reason]));
    expect(l.history.at(-1)).toMatchObject({ iteration: 1, decision: "promote", modelDigest: l.promoted.digest });

    // Prometheus scraped the operator's loop metrics.
    const prom = prometheus as TestPrometheus;
    await pollUntil(
      "Prometheus sees the promotion",
      async () =>
        (await prom.query(`liftoff_modeldeployment_loop_total{name="${NAME}",decision="promote"}`)).some(
          (s) => s.value >= 1,
        ),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const stage = await prom.query(`liftoff_modeldeployment_loop_stage{name="${NAME}"} == 1`);
    expect(stage.map((s) => s.metric.stage)).toEqual(["Promoted"]);
    expect(traffic.stats.failures).toEqual([]);
  });

  it("(b) a worse candidate (broken learning rate, started by hand) is rolled back; the stable serves on and no request fails", {
    timeout: 900_000,
  }, async () => {
    const before = await mdep();
    const promoted = loop(before).promoted;
    expect(promoted?.digest).toBeTruthy();
    const t = traffic as Traffic;
    const failuresBefore = t.stats.failures.length;
    await patchMdep({
      metadata: { annotations: { "liftoff.dev/retrain": "worse-candidate" } },
      // The annotation is a person: the limits do not hold it back. Degraded is off from here on, so only the
      // annotations of (b) and (c) start loops.
      spec: {
        retrain: {
          triggers: { degraded: false },
          trainingJob: { hyperparameters: { learningRate: 1e-7, epochs: 5 } },
        },
      },
    });
    const n = loop(before).iteration + 1;
    const started = await waitMdep("the manual loop started", (m) => loop(m).iteration === n, 120_000);
    expect(loop(started).trigger.reason).toBe("Manual");
    const done = await waitDone(n);
    const l = loop(done);
    expect(l.stage, where(done)).toBe("RolledBack");
    expect(l.decision).toMatchObject({ decision: "rollback", reason: "CanaryLessAccurate" });
    expect(l.figures.canary.accuracy).toBeLessThan(l.figures.stable.accuracy);
    const tj = await readObject(admin, { kind: "TrainingJob", namespace: ns, name: l.trainingJob });
    expect(tj.spec.hyperparameters.learningRate).toBe(1e-7);
    // The promotion of (a) stands and serves; the candidate is gone.
    expect(l.promoted.digest).toBe(promoted.digest);
    await servingOnly(promoted.digest);
    expect(await eventReasons()).toEqual(expect.arrayContaining(["CanaryLessAccurate"]));
    expect(t.stats.failures.slice(failuresBefore)).toEqual([]);
    expect(t.stats.tracks.canary?.rows ?? 0).toBeGreaterThan(0);
  });

  it("(c) the operator SIGKILLed during Retraining and during Canary resumes the same loop, which finishes", {
    timeout: 900_000,
  }, async () => {
    const before = await mdep();
    const n = loop(before).iteration + 1;
    await patchMdep({
      metadata: { annotations: { "liftoff.dev/retrain": "resume-after-kill" } },
      // A candidate as good as the stable takes ~1 500 feedback per track to be shown not worse (docs/monitoring.md):
      // more than this test's window holds, so it ends after maxDurationSeconds, rolled back as NotEnoughFeedback,
      // unless the feedback tells them apart first. Either way the loop must finish.
      spec: {
        retrain: {
          trainingJob: { hyperparameters: { learningRate: null, epochs: 20 } },
          canary: { readyTimeoutSeconds: 120, maxDurationSeconds: 120 },
        },
      },
    });

    // Retraining, with its TrainingJob created: kill the operator there.
    const retraining = await waitMdep(
      "Retraining with a TrainingJob",
      (m) => loop(m).iteration === n && loop(m).stage === "Retraining" && Boolean(loop(m).trainingJob),
      240_000,
    );
    const tjName = loop(retraining).trainingJob as string;
    const tjBefore = await readObject(admin, { kind: "TrainingJob", namespace: ns, name: tjName });
    const uidsBefore = new Set((await loopTrainingJobs()).map((t) => t.metadata.uid));
    await (op as OperatorProcess).kill();
    expect(loop(await mdep()).stage).toBe("Retraining");
    await startOperator();

    // The restarted operator finds the same TrainingJob and goes on to the canary.
    const canary = await waitMdep(
      "Canary after the restart",
      (m) => loop(m).iteration === n && loop(m).stage === "Canary",
      420_000,
    );
    expect(loop(canary).trainingJob).toBe(tjName);
    const tjAfter = await readObject(admin, { kind: "TrainingJob", namespace: ns, name: tjName });
    expect(tjAfter.metadata.uid).toBe(tjBefore.metadata.uid);
    expect((await loopTrainingJobs()).filter((t) => !uidsBefore.has(t.metadata.uid))).toEqual([]);

    // Canary, with its Deployment up: kill the operator again.
    const canaryDep = await pollUntil("the canary Deployment", () => deployment(`${NAME}-canary`), {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    await (op as OperatorProcess).kill();
    expect(loop(await mdep()).stage).toBe("Canary");
    await startOperator();
    const resumed = await pollUntil(
      "the canary Deployment after the restart",
      async () => {
        const m = await mdep();
        return loop(m).iteration === n ? await deployment(`${NAME}-canary`) : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(resumed.metadata?.uid).toBe(canaryDep.metadata?.uid);

    // It finishes: one decision for this iteration, on the same TrainingJob.
    const done = await waitDone(n);
    const l = loop(done);
    expect(["Promoted", "RolledBack"], where(done)).toContain(l.stage);
    expect(l.trainingJob).toBe(tjName);
    expect(l.history.filter((h: Obj) => h.iteration === n)).toHaveLength(1);
    expect((traffic as Traffic).stats.failures).toEqual([]);
  });
});
