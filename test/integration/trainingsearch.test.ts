// A TrainingSearch on the local cluster (issue #33, docs/trainingsearch.md), against the real operator (its own
// process, so it can be SIGKILLed), OpenBao (the penguins DataSet is encrypted; every trial logs in with the search's
// one Vault role) and the node agent running the trial pods:
//   - a random search with parallelism 2 over the penguins sample TrainingJob finds a configuration at least as good
//     (val_accuracy) as the sample's own, and successive halving stops at least one trial early (suspended, kept);
//   - the operator, SIGKILLed once the first trials exist, comes back without a duplicate: every index once, each
//     trial's parameters the ones it was created with, and the parameters are the seed's (the same seed → the same
//     trials);
//   - kubectl get shows the counts and the best objective, kubectl liftoff curves every trial's curve; a
//     ModelDeployment naming the search serves its best model;
//   - deleting the search deletes its trials.
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { AppsV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { applyObject, deleteAndWait, readObject, waitForCondition } from "../../hack/demo/kube.js";
import { loadSample, PENGUINS_CSV } from "../../hack/demo/samples.js";
import { testRecords } from "../../hack/demo/test-split.js";
import { versionDataKey } from "../../hack/demo/vault.js";
import type { TrainingSearch } from "../../operator/src/api/v1alpha1/index.js";
import { suggest } from "../../operator/src/trainingsearch/algorithm/index.js";
import { ANNOTATION_STOPPED_EARLY, ANNOTATION_TRIAL_PARAMETERS } from "../../operator/src/trainingsearch/names.js";
import { parameterSpecs } from "../../operator/src/trainingsearch/plan.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, operatorFixture } from "../support/operator.js";
import { kubeconfigFile, type OperatorProcess, startOperatorProcess } from "../support/operator-process.js";
import { kubectlLiftoff } from "../support/plugin.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";
import { type TestVault, testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "tsearch", { start: false });
const custom = admin.makeApiClient(CustomObjectsApi);
const apps = admin.makeApiClient(AppsV1Api);
const cluster = { clusterName: inject("clusterName"), kubeconfig: inject("kubeconfig"), kubectl: inject("kubectl") };
const BASE = Number(process.env.LIFTOFF_PORT_BASE ?? 17440);
const OPERATOR_METRICS_PORT = BASE + 47;
const CLAIM = "liftoff-data";
const DATASET = "penguins";
const BASELINE = "penguins";
const SEARCH = "penguins-search";
const MAX_TRIALS = 6;

let ns: string;
let vault: TestVault;
let op: OperatorProcess | undefined;
let opFlags: string[];
let opKubeconfig: string;
let logFile: string;

async function startOperator(): Promise<void> {
  op = await startOperatorProcess({
    kubeconfig: opKubeconfig,
    namespaces: [ns],
    metricsPort: OPERATOR_METRICS_PORT,
    flags: opFlags,
    logFile,
  });
}

/** The search: the penguins sample TrainingJob as its template, over learning rate, batch size, width and optimizer. */
function searchManifest(): TrainingSearch & { metadata: { name: string; namespace: string } } {
  const tj = loadSample("trainingjob", ns);
  const { output: _o, ...template } = tj.spec as Obj; // each trial its own default folder, models/<trial>
  // The search's rule, not the trainer's patience, ends the losers; 100 epochs of batches of 2 or 4 rows last long
  // enough (tens of seconds) for the search to see a trial's early epochs while it runs.
  const { earlyStopping: _e, ...hyperparameters } = template.hyperparameters;
  template.hyperparameters = { ...hyperparameters, epochs: 100 };
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "TrainingSearch",
    metadata: { name: SEARCH, namespace: ns },
    spec: {
      template: { spec: template as TrainingSearch["spec"]["template"]["spec"] },
      parameters: [
        { name: "learningRate", path: "hyperparameters.learningRate", float: { min: 0.0001, max: 0.05, log: true } },
        { name: "batchSize", path: "hyperparameters.batchSize", int: { values: [2, 4] } },
        { name: "units", path: "model.layers[0].units", int: { min: 4, max: 32, log: true } },
        { name: "optimizer", path: "hyperparameters.optimizer", categorical: { values: ["adam", "sgd"] } },
      ],
      objective: { metric: "val_accuracy", goal: "maximize" },
      algorithm: { name: "random", seed: 11 },
      earlyStopping: { rule: "successiveHalving", minEpochs: 3, reductionFactor: 3, startupTrials: 5 },
      maxTrials: MAX_TRIALS,
      parallelism: 2,
    },
  };
}

const search = () => readObject(admin, { kind: "TrainingSearch", namespace: ns, name: SEARCH });

async function trialsOf(): Promise<Obj[]> {
  const list = (await custom.listNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: ns,
    plural: "trainingjobs",
    labelSelector: `liftoff.dev/trainingsearch=${SEARCH}`,
  })) as { items: Obj[] };
  return list.items;
}

/** The last epoch's validation accuracy of a TrainingJob, from its status.history. */
const lastValAccuracy = (tj: Obj): number => tj.status.history.epochs.at(-1).metrics.val_accuracy;

beforeAll(async () => {
  ns = fx.ns.name;
  vault = testVault(cluster.clusterName);
  const transitKey = `${ns}-data`;
  await vault.createTransitKey(transitKey);
  await vault.createRole(
    {
      name: `${ns}-dataset`,
      namespace: ns,
      serviceAccount: `${DATASET}-dataset`,
      datakeyKeys: [transitKey],
      decryptKeys: [transitKey],
      versionKeys: { access: "write" },
      namespaceKv: false,
    },
    [`${DATASET}-dataset`],
  );
  const training = (name: string, serviceAccounts: string[]) =>
    vault.createRole(
      {
        name,
        namespace: ns,
        serviceAccount: serviceAccounts[0] ?? "",
        decryptKeys: [transitKey],
        versionKeys: { access: "read" },
        namespaceKv: false,
      },
      serviceAccounts,
    );
  await training(`liftoff-${ns}-${BASELINE}-train`, [`${BASELINE}-train`]);
  // One role for the whole search, bound to its trials' service accounts <search>-<index>-train.
  await training(
    `liftoff-${ns}-${SEARCH}-train`,
    Array.from({ length: MAX_TRIALS }, (_, i) => `${SEARCH}-${i}-train`),
  );
  await vault.createRole(
    {
      name: `liftoff-${ns}-${SEARCH}`,
      namespace: ns,
      serviceAccount: `${SEARCH}-runtime`,
      decryptKeys: [transitKey],
      namespaceKv: false,
    },
    [`${SEARCH}-runtime`],
  );

  opFlags = [
    "--leader-elect=false",
    // Progress written every second, so the search sees the trials' epochs while they run.
    "--progress-interval=1",
    ...(await reportFlags(cluster.clusterName)),
    `--vault-addr=${vault.podAddress}`,
    "--vault-ca-configmap=kube-root-ca.crt",
  ];
  opKubeconfig = kubeconfigFile(fx.operatorKc);
  logFile = join(REPO_ROOT, ".liftoff", `trainingsearch-operator-${ns}.log`);
  await startOperator();

  const folder = await claimHostFolder(admin, ns, CLAIM);
  mkdirSync(join(folder, "raw"), { recursive: true });
  copyFileSync(PENGUINS_CSV, join(folder, "raw", "penguins.csv"));
  const ds = loadSample("dataset", ns);
  (ds.spec as Obj).encryption = { transitKey, vaultRole: `${ns}-dataset` };
  await applyObject(admin, ds);
  await waitForCondition(admin, { kind: "DataSet", namespace: ns, name: DATASET }, "Ready", { timeoutMs: 180_000 });
}, 300_000);

afterAll(async () => {
  await op?.stop();
});

describe("a TrainingSearch on penguins", () => {
  it("searches with parallelism 2, stops losers early, survives an operator SIGKILL without duplicates, and beats or equals the sample TrainingJob", {
    timeout: 900_000,
  }, async () => {
    // The sample TrainingJob, the configuration a team starts from.
    await applyObject(admin, loadSample("trainingjob", ns));
    const manifest = searchManifest();
    await applyObject(admin, manifest as never);

    // The operator dies once the first trials exist (two, parallelism 2) and comes back.
    const early = await pollUntil(
      "the first two trials",
      async () => {
        const trials = await trialsOf();
        return trials.length >= 2 ? trials : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const before = new Map(early.map((t) => [t.metadata.name, t.metadata.annotations[ANNOTATION_TRIAL_PARAMETERS]]));
    await op?.kill();
    await startOperator();

    let last: Obj = {};
    const running: number[] = [];
    await pollUntil(
      "the search has ended",
      async () => {
        last = await search();
        running.push(last.status?.trials?.running ?? 0);
        return ["Succeeded", "Failed"].includes(last.status?.phase) ? last : undefined;
      },
      { timeoutMs: 780_000, intervalMs: 500 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(last.status)}; operator log ${logFile}`);
    });
    expect(last.status.phase, JSON.stringify(last.status.conditions)).toBe("Succeeded");
    expect(Math.max(...running)).toBeLessThanOrEqual(2);

    // No duplicate: every index once, no other TrainingJob with the search's label, the kill's trials unchanged.
    const trials = await trialsOf();
    const names = trials.map((t) => t.metadata.name).sort();
    expect(names).toEqual(Array.from({ length: MAX_TRIALS }, (_, i) => `${SEARCH}-${i}`).sort());
    for (const [name, parameters] of before) {
      expect(trials.find((t) => t.metadata.name === name)?.metadata.annotations[ANNOTATION_TRIAL_PARAMETERS]).toBe(
        parameters,
      );
    }
    expect(last.status.trials.total).toBe(MAX_TRIALS);
    expect(last.status.trialRecords.map((r: Obj) => r.index)).toEqual([...Array(MAX_TRIALS).keys()]);

    // The seed's trials: random search draws each trial's parameters from (seed, index) alone.
    for (const t of trials) {
      const index = Number(t.metadata.labels["liftoff.dev/trial-index"]);
      const expected = suggest({
        algorithm: { name: "random", seed: 11 },
        parameters: parameterSpecs(manifest),
        goal: "maximize",
        index,
        trials: [],
      });
      expect(JSON.parse(t.metadata.annotations[ANNOTATION_TRIAL_PARAMETERS])).toEqual(expected);
      expect(t.spec.hyperparameters.learningRate).toBe(expected?.learningRate);
      expect(t.spec.model.layers[0].units).toBe(expected?.units);
    }

    // Early stopping: at least one trial suspended before its last epoch, with the rule's reason.
    const stopped = trials.filter((t) => t.metadata.annotations?.[ANNOTATION_STOPPED_EARLY] !== undefined);
    expect(stopped.length, JSON.stringify(last.status.trialRecords)).toBeGreaterThanOrEqual(1);
    const record = last.status.trialRecords.find(
      (r: Obj) => r.state === "StoppedEarly" && r.epochs < manifest.spec.template.spec.hyperparameters.epochs,
    );
    expect(record, JSON.stringify(last.status.trialRecords)).toBeDefined();
    expect(record.reason).toMatch(/epoch \d+/);
    const stoppedTj = trials.find((t) => t.metadata.name === record.name) as Obj;
    expect(stoppedTj.spec.runPolicy.suspend).toBe(true);
    expect(record.epochs).toBeLessThan(stoppedTj.spec.hyperparameters.epochs);
    // Every trial the status counts as stopped carries the stop (a stop that raced a trial's last epoch may have
    // let it finish: then it counts as succeeded, as it ran to its end).
    const stoppedRecords = last.status.trialRecords.filter((r: Obj) => r.state === "StoppedEarly");
    expect(last.status.trials.stoppedEarly).toBe(stoppedRecords.length);
    for (const r of stoppedRecords) expect(stopped.map((t) => t.metadata.name)).toContain(r.name);
    // The compute spent is the epochs the trials ran, which the stopped ones cut short.
    const epochs = last.status.trialRecords.reduce((n: number, r: Obj) => n + r.epochs, 0);
    expect(last.status.epochsTrained).toBe(epochs);

    // At least as good as the sample TrainingJob, on the same validation split.
    await waitForCondition(admin, { kind: "TrainingJob", namespace: ns, name: BASELINE }, "Succeeded", {
      timeoutMs: 300_000,
    });
    const baseline = await readObject(admin, { kind: "TrainingJob", namespace: ns, name: BASELINE });
    const best = trials.find((t) => t.metadata.name === last.status.best.trial) as Obj;
    expect(last.status.best.objective).toBe(lastValAccuracy(best));
    expect(last.status.best.objective).toBeGreaterThanOrEqual(lastValAccuracy(baseline));
    for (const r of last.status.trialRecords.filter((x: Obj) => x.state === "Succeeded")) {
      expect(last.status.best.objective).toBeGreaterThanOrEqual(r.objective);
    }
    // The search's artifact is the best trial's model, with its lineage and parameters.
    expect(last.status.model).toMatchObject({
      trainingJob: best.metadata.name,
      digest: best.status.model.digest,
      uri: best.status.model.uri,
      dataSetDigest: best.status.model.dataSetDigest,
      parameters: last.status.best.parameters,
    });

    // kubectl get shows the counts and the best objective.
    const { stdout } = await promisify(execFile)(cluster.kubectl, ["get", "tsearch", SEARCH, "-n", ns], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig },
    });
    const [head = "", row = ""] = stdout.trimEnd().split("\n");
    expect(head.split(/\s{2,}/).slice(0, -1)).toEqual([
      "NAME",
      "STATUS",
      "RUNNING",
      "STOPPED",
      "DONE",
      "FAILED",
      "METRIC",
      "BEST",
      "BEST TRIAL",
    ]);
    expect(row.split(/\s+/).slice(0, -1)).toEqual([
      SEARCH,
      "Succeeded",
      "0",
      String(last.status.trials.stoppedEarly),
      String(last.status.trials.succeeded),
      String(last.status.trials.failed),
      "val_accuracy",
      last.status.best.shortObjective,
      last.status.best.trial,
    ]);
    // kubectl liftoff curves draws every trial's objective per epoch, from the trials' own histories.
    const curves = await kubectlLiftoff(["curves", `tsearch/${SEARCH}`, "-n", ns, "-o", "json"], cluster);
    expect(curves.code, curves.stderr).toBe(0);
    const view = JSON.parse(curves.stdout);
    expect(view.trialCurves.map((t: Obj) => t.name).sort()).toEqual(names);
    expect(view.best.trial).toBe(last.status.best.trial);
    const drawn = view.trialCurves.find((t: Obj) => t.name === last.status.best.trial);
    expect(drawn.best).toBe(true);
    expect(drawn.curve.at(-1).value).toBe(last.status.best.objective);
    expect(view.trialCurves.filter((t: Obj) => t.state === "StoppedEarly")).toHaveLength(
      last.status.trials.stoppedEarly,
    );
  });

  it("serves the search's best model from a ModelDeployment that names the search", { timeout: 300_000 }, async () => {
    const s = await search();
    await createModelDeployment(admin, ns, SEARCH, {
      model: { trainingSearchRef: { name: SEARCH } },
      replicas: 1,
      resources: { cpu: "250m", memory: "512Mi" },
    });
    await waitForCondition(admin, { kind: "ModelDeployment", namespace: ns, name: SEARCH }, "Ready", {
      timeoutMs: 240_000,
    });
    const deployment = await apps.readNamespacedDeployment({ name: `${SEARCH}-predictor`, namespace: ns });
    const env = deployment.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === "LIFTOFF_MODEL_DIGEST")?.value).toBe(s.status.model.digest);

    // Its answers on the DataSet's test split.
    const folder = await claimHostFolder(admin, ns, CLAIM);
    const ds = await readObject(admin, { kind: "DataSet", namespace: ns, name: DATASET });
    const version = join(folder, "datasets/penguins", ds.status.digest.slice("sha256:".length));
    const key = await versionDataKey(cluster.clusterName, version, { namespace: ns, dataset: DATASET });
    const records = await testRecords(version, key);
    const inputs = Object.keys(records[0]?.record ?? {}).map((name) => {
      const data = records.map((r) => r.record[name]);
      return { name, datatype: typeof data[0] === "number" ? "FP64" : "BYTES", shape: [data.length], data };
    });
    const ep = await serviceEndpoint(admin, ns, SEARCH);
    const res = await fetch(`${ep.url}/v2/models/${SEARCH}/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const labels = JSON.parse(text).outputs.find((o: Obj) => o.name === "label")?.data as string[];
    const right = records.filter((r, i) => labels[i] === r.label).length;
    expect(right / records.length).toBeGreaterThanOrEqual(0.9);
  });

  it("deleting the search deletes its trials", { timeout: 180_000 }, async () => {
    expect((await trialsOf()).length).toBe(MAX_TRIALS);
    await deleteAndWait(admin, { kind: "TrainingSearch", namespace: ns, name: SEARCH }, 60_000);
    await pollUntil("the trials are gone", async () => ((await trialsOf()).length === 0 ? true : undefined), {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
  });
});
