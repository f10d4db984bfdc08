// DataSet and TrainingJob on s3:// on the local cluster, with the real operator, OpenBao and the cluster's S3 server
// (SeaweedFS, started by cluster:up; test/support/s3.ts): the penguins CSV is read from a bucket, the encrypted
// version written to the bucket (every object with its sha256, manifest last, nothing readable without Vault), a
// TrainingJob trains on it and writes its checkpoints and model there, and its pod deleted mid-run resumes from the
// bucket's checkpoint (a pytorch one too: its worker group restarts from the bucket's checkpoint file); a ModelDeployment serves that model from the bucket. Pods get the S3 keys from Vault KV with their own Vault identity; each bad input (missing
// bucket, missing key, wrong keys, an endpoint that does not answer) is a condition naming the URI and the cause.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { applyObject, type LiftoffObject, readObject, waitForCondition } from "../../hack/demo/kube.js";
import { loadSample, PENGUINS_CSV } from "../../hack/demo/samples.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import type { ManifestJson } from "../../runtime/src/contract/artifacts.js";
import { type ObjectStore, s3ObjectStore } from "../../runtime/src/storage/object-store.js";
import { ROOT } from "../clients/support.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, operatorFixture, startTestOperator } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";
import { bucketFor, type TestS3, testS3 } from "../support/s3.js";
import { trainingRole } from "../support/training.js";
import { type TestVault, testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "s3data", { start: false, restricted: true });
const core = admin.makeApiClient(CoreV1Api);
const BUCKET = bucketFor("storage-s3-data.test.ts");
// Batch 2 makes an epoch long enough (133 steps) to delete the pod between checkpoints.
const EPOCHS = 8;
const PYTORCH_EPOCHS = 30;
let op: OperatorHandle;
let ns: string;
let s3: TestS3;
let vault: TestVault;
let store: ObjectStore;
let transitKey: string;
let work: string;

const ref = (kind: LiftoffObject["kind"], name: string) => ({ kind, namespace: ns, name });
const uri = (key: string) => `s3://${BUCKET}/${key}`;
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys.sort();
}

async function objectBytes(key: string): Promise<Buffer> {
  const dest = join(work, `${sha256(Buffer.from(key))}`);
  await store.download(key, dest);
  return readFileSync(dest);
}

/** The penguins DataSet read from and written to the bucket, encrypted, its pod logging in as its own role. */
async function s3DataSet(name: string, o: { source?: string; storage?: Obj } = {}): Promise<LiftoffObject> {
  const ds = loadSample("dataset", ns);
  ds.metadata.name = name;
  const spec = ds.spec as Obj;
  spec.source = { s3: { uri: o.source ?? uri("raw/penguins.csv") } };
  spec.output = { uri: uri(`datasets/${name}`) };
  spec.storage = o.storage ?? s3.podStorage();
  spec.encryption = { transitKey, vaultRole: `${ns}-${name}` };
  await vault.createRole({
    name: `${ns}-${name}`,
    namespace: ns,
    serviceAccount: `${name}-dataset`,
    datakeyKeys: [transitKey],
    decryptKeys: [transitKey],
    versionKeys: { access: "write" },
  });
  return ds;
}

beforeAll(async () => {
  ns = fx.ns.name;
  const cluster = inject("clusterName");
  work = mkdtempSync(join(tmpdir(), "liftoff-s3data-"));
  vault = testVault(cluster);
  s3 = testS3(cluster);
  await s3.createBucket(BUCKET);
  await s3.emptyBucket(BUCKET);
  store = s3ObjectStore(s3.client(), BUCKET);
  await store.upload(PENGUINS_CSV, "raw/penguins.csv");
  transitKey = `${ns}-data`;
  await vault.createTransitKey(transitKey);
  op = await startTestOperator(
    fx.operatorKc,
    [ns],
    [
      "--leader-elect=false",
      ...(await reportFlags(cluster)),
      `--vault-addr=${vault.podAddress}`,
      "--vault-ca-configmap=kube-root-ca.crt",
    ],
  );
  await op.leading;
}, 120_000);

afterAll(async () => {
  await op?.stop();
  s3?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("DataSet and TrainingJob on s3://", () => {
  let version: string;

  it("a DataSet reads the CSV from the bucket and writes its encrypted version there, each object with its sha256", {
    timeout: 180_000,
  }, async () => {
    await applyObject(admin, await s3DataSet("penguins"));
    await waitForCondition(admin, ref("DataSet", "penguins"), "Ready", { timeoutMs: 150_000 });
    const ds = await readObject(admin, ref("DataSet", "penguins"));
    version = ds.status.digest.slice("sha256:".length);
    expect(ds.status.output).toBe(uri(`datasets/penguins/${version}`));
    expect(ds.status.rows.total).toBe(333); // 344 rows, 11 incomplete dropped

    const prefix = `datasets/penguins/${version}/`;
    const manifestBytes = await objectBytes(`${prefix}manifest.json`);
    expect(sha256(manifestBytes)).toBe(version); // the folder is named by its manifest
    const manifest = JSON.parse(manifestBytes.toString("utf8")) as ManifestJson;
    expect(manifest.encryption?.transitKey).toBe(transitKey);
    expect(await keysUnder(prefix)).toEqual(
      [...manifest.files.map((f) => `${prefix}${f.path}`), `${prefix}manifest.json`].sort(),
    );
    for (const f of manifest.files) {
      const info = await store.head(`${prefix}${f.path}`);
      expect(info?.sha256, f.path).toBe(f.sha256);
      expect(info?.size, f.path).toBe(f.size);
    }
    // Encrypted before upload: neither Parquet's magic nor a species name in any stored byte.
    const train = manifest.files.find((f) => f.path.startsWith("train/")) as { path: string };
    const bytes = await objectBytes(`${prefix}${train.path}`);
    expect(bytes.subarray(0, 4).toString("latin1")).not.toBe("PAR1");
    expect(bytes.includes(Buffer.from("Adelie"))).toBe(false);
  });

  it("a TrainingJob trains on it, writes checkpoints and the model to the bucket, and a deleted pod resumes from the bucket's checkpoint", {
    timeout: 300_000,
  }, async () => {
    const name = "killed";
    await vault.createRole({
      name: `liftoff-${ns}-${name}-train`,
      namespace: ns,
      serviceAccount: `${name}-train`,
      decryptKeys: [transitKey],
      versionKeys: { access: "read" },
      namespaceKv: false,
    });
    const tj = loadSample("trainingjob", ns);
    tj.metadata.name = name;
    const spec = tj.spec as Obj;
    const { earlyStopping: _e, ...hyperparameters } = spec.hyperparameters;
    spec.hyperparameters = { ...hyperparameters, epochs: EPOCHS, batchSize: 2 };
    delete spec.output; // default: models/<name> beside the DataSet's versions, in the bucket
    await applyObject(admin, tj);
    const uid = (await readObject(admin, ref("TrainingJob", name))).metadata.uid as string;
    const checkpoints = `datasets/penguins/models/${name}/.checkpoints/${uid}/`;
    // A complete checkpoint (state.json is uploaded last) after epoch 1 at least.
    const first = await pollUntil(
      "a checkpoint after epoch 1 in the bucket",
      async () => {
        const done = (await keysUnder(checkpoints))
          .filter((k) => k.endsWith("/state.json"))
          .map((k) => Number(/ckpt-(\d{6})-/.exec(k)?.[1]));
        return done.some((e) => e >= 1) ? Math.max(...done) : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 200 },
    );
    const pods = async () =>
      (await core.listNamespacedPod({ namespace: ns, labelSelector: `liftoff.dev/trainingjob=${name}` })).items;
    const running = (await pods()).find((p) => p.status?.phase === "Running") as V1Pod;
    expect(running).toBeDefined();
    await core.deleteNamespacedPod({ name: running.metadata?.name ?? "", namespace: ns, gracePeriodSeconds: 0 });

    await waitForCondition(admin, ref("TrainingJob", name), "Succeeded", { timeoutMs: 240_000 });
    const done = await readObject(admin, ref("TrainingJob", name));
    expect(done.status.progress.epoch).toBe(EPOCHS);
    const hex = done.status.model.digest.slice("sha256:".length);
    expect(done.status.model.uri).toBe(uri(`datasets/penguins/models/${name}/${hex}`));
    expect(done.status.model.dataSetDigest).toBe(`sha256:${version}`);
    const model = JSON.parse(
      (await objectBytes(`datasets/penguins/models/${name}/${hex}/manifest.json`)).toString("utf8"),
    ) as ManifestJson;
    expect(model.files.map((f) => f.path)).toEqual(expect.arrayContaining(["model.json", "weights.bin"]));
    expect(done.status.finalMetrics.accuracy).toBeGreaterThanOrEqual(0.9);

    // The second pod started from the bucket's checkpoint (its scratch was empty), not from epoch 0.
    const second = (await pods()).find((p) => p.metadata?.name !== running.metadata?.name) as V1Pod;
    const log = await core.readNamespacedPodLog({
      name: second.metadata?.name ?? "",
      namespace: ns,
      container: "train",
    });
    const m = /downloaded checkpoint ckpt-(\d{6})-\d{9}/.exec(log);
    expect(m, log).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(first);
    expect(log).toMatch(/resuming from checkpoint ckpt-\d{6}-\d{9}/);
  });

  it("a pytorch TrainingJob's two workers read it from the bucket and write checkpoints and the ONNX model there; a worker deleted mid-run restarts the group from the bucket's checkpoint", {
    timeout: 300_000,
  }, async () => {
    const name = "ddp";
    await trainingRole(vault, ns, transitKey, name);
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: {
        metadata: { name: "penguins-ddp" },
        data: { "train.py": readFileSync(join(ROOT, "examples/pytorch/penguins_ddp.py"), "utf8") },
      },
    });
    const tj = parse(readFileSync(join(ROOT, "config/samples/liftoff_v1alpha1_trainingjob_pytorch.yaml"), "utf8"));
    tj.metadata = { name, namespace: ns };
    // 30 epochs of batch 1: on an idle machine an epoch takes ~0.1 s, and the kill must land mid-run.
    tj.spec.hyperparameters = { ...tj.spec.hyperparameters, epochs: PYTORCH_EPOCHS, batchSize: 1 };
    tj.spec.resources = { cpu: "500m", memory: "2Gi" };
    delete tj.spec.output; // default: models/<name> beside the DataSet's versions, in the bucket
    await applyObject(admin, tj);
    const uid = (await readObject(admin, ref("TrainingJob", name))).metadata.uid as string;
    const checkpoints = `datasets/penguins/models/${name}/.checkpoints/${uid}/`;
    const first = await pollUntil(
      "a pytorch checkpoint after epoch 2 in the bucket",
      async () => {
        const epochs = (await keysUnder(checkpoints)).map((k) => Number(/epoch-(\d{6})\.pt$/.exec(k)?.[1] ?? -1));
        return Math.max(-1, ...epochs) >= 2 ? Math.max(...epochs) : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 100 },
    );
    expect(first).toBeLessThan(PYTORCH_EPOCHS);
    await core.deleteNamespacedPod({ name: `${name}-g0-w1`, namespace: ns, gracePeriodSeconds: 0 });
    await waitForCondition(admin, ref("TrainingJob", name), "Succeeded", { timeoutMs: 240_000 });
    const done = await readObject(admin, ref("TrainingJob", name));
    expect(done.status.progress.epoch).toBe(PYTORCH_EPOCHS);
    expect(done.status.workers.attempt).toBeGreaterThanOrEqual(1);
    expect(done.status.model).toMatchObject({ format: "onnx", dataSetDigest: `sha256:${version}` });
    const folder = done.status.model.uri as string;
    expect(folder).toMatch(new RegExp(`^${uri(`datasets/penguins/models/${name}/`)}[0-9a-f]{64}$`));
    const prefix = folder.slice(uri("").length);
    const manifest = JSON.parse((await objectBytes(`${prefix}/manifest.json`)).toString("utf8")) as ManifestJson;
    const onnx = manifest.files.find((f) => f.path === "model.onnx");
    expect(`sha256:${onnx?.sha256}`).toBe(done.status.model.digest);
    // The restarted group's worker 0 downloaded a checkpoint from the bucket (its scratch was new) and went on after it.
    const log = await core.readNamespacedPodLog({ name: `${name}-g1-w0`, namespace: ns, container: "train" });
    const m = /downloaded checkpoint epoch-(\d{6})\.pt/.exec(log);
    expect(m, log).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(first);
    expect(log).toMatch(/resuming from the checkpoint of epoch \d+/);
    // The bucket keeps the newest three checkpoints.
    expect((await keysUnder(checkpoints)).filter((k) => k.endsWith(".pt")).length).toBe(3);
  });

  it("a ModelDeployment serves that model from the bucket (trainingJobRef; the TrainingJob's, i.e. the DataSet's, storage) and answers correctly", {
    timeout: 240_000,
  }, async () => {
    const name = "served";
    // The serving pods' role reads the S3 keys (test/support/vault.ts adds the local S3 policy); nothing to decrypt.
    await vault.createRole({
      name: `liftoff-${ns}-${name}`,
      namespace: ns,
      serviceAccount: `${name}-runtime`,
      namespaceKv: false,
    });
    await createModelDeployment(admin, ns, name, {
      model: { trainingJobRef: { name: "killed" } },
      replicas: 1,
      resources: { cpu: "500m", memory: "512Mi" },
    });
    await waitForCondition(admin, ref("ModelDeployment", name), "Ready", { timeoutMs: 180_000 });
    const mdep = await readObject(admin, ref("ModelDeployment", name));
    const tj = await readObject(admin, ref("TrainingJob", "killed"));
    expect(mdep.status.model.uri).toBe(tj.status.model.uri);
    expect(mdep.status.model.uri).toMatch(/^s3:\/\//);

    // Complete rows of the raw CSV, every 7th (all three species), sent as raw records by column name (KServe V1).
    const [header = "", ...lines] = readFileSync(PENGUINS_CSV, "utf8").trim().split("\n");
    const columns = header.split(",");
    const rows = lines
      .map((l) => Object.fromEntries(l.split(",").map((v, i) => [columns[i], v])))
      .filter((r) => !Object.values(r).includes("NA"))
      .filter((_, i) => i % 7 === 0);
    const num = (v: string | undefined) => Number(v);
    const instances = rows.map((r) => ({
      island: r.island,
      bill_length_mm: num(r.bill_length_mm),
      bill_depth_mm: num(r.bill_depth_mm),
      flipper_length_mm: num(r.flipper_length_mm),
      body_mass_g: num(r.body_mass_g),
      sex: r.sex,
    }));
    const ep = await serviceEndpoint(admin, ns, name);
    const res = await fetch(`${ep.url}/v1/models/${name}:predict`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ instances }),
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    const labels = (JSON.parse(text) as { labels: string[] }).labels;
    expect(new Set(rows.map((r) => r.species))).toEqual(new Set(["Adelie", "Chinstrap", "Gentoo"]));
    const right = labels.filter((l, i) => l === rows[i]?.species).length;
    expect(right / rows.length).toBeGreaterThanOrEqual(0.9);
    // The pod read it from the bucket (downloaded into the node cache), not from a claim.
    const pod = (await core.listNamespacedPod({ namespace: ns, labelSelector: `liftoff.dev/modeldeployment=${name}` }))
      .items[0] as V1Pod;
    expect(pod.spec?.volumes?.some((v) => v.persistentVolumeClaim)).toBe(false);
    const log = await core.readNamespacedPodLog({ name: pod.metadata?.name ?? "", namespace: ns });
    expect(log).toContain(tj.status.model.uri);
  });
});

describe("bad s3 input is a condition naming the URI and the cause", () => {
  /** The first condition of `type` that is True; with its reason and message, and how long it took to show. */
  const conditionOf = async (name: string, type: "Failed" | "Progressing", reason: string) => {
    const at = Date.now();
    const c = await pollUntil(
      `DataSet ${name} ${type} with ${reason}`,
      async () => {
        const ds = await readObject(admin, ref("DataSet", name)).catch(() => undefined);
        return (ds?.status?.conditions ?? []).find(
          (x: { type: string; status: string; reason: string }) =>
            x.type === type && x.status === "True" && x.reason === reason,
        );
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    return { ...c, seconds: (Date.now() - at) / 1000 };
  };
  const failedWith = (name: string, reason: string) => conditionOf(name, "Failed", reason);

  it.each([
    [
      "a missing bucket",
      "missing-bucket",
      "s3://liftoff-no-such-bucket/raw/penguins.csv",
      "StorageNotFound",
      "bucket does not exist",
    ],
    ["a missing key", "missing-key", uri("raw/no-such-file.csv"), "StorageNotFound", "no such object"],
  ])("%s: StorageNotFound with the URI", { timeout: 120_000 }, async (_what, name, source, reason, cause) => {
    await applyObject(admin, await s3DataSet(name, { source }));
    const c = await failedWith(name, reason);
    expect(c.reason).toBe(reason);
    expect(c.message).toContain(source);
    expect(c.message).toContain(cause);
  });

  it("wrong keys in the Vault KV secret: StorageAccessDenied with the URI", { timeout: 120_000 }, async () => {
    const path = `secret/data/${ns}/s3-wrong`;
    await vault.putKv(path, { accessKeyId: s3.keys.liftoff.accessKeyId, secretAccessKey: "not-the-secret-key" });
    const storage = { ...s3.podStorage(), credentials: { vaultKV: { path } } };
    await applyObject(admin, await s3DataSet("wrong-keys", { storage }));
    const c = await failedWith("wrong-keys", "StorageAccessDenied");
    expect(c.reason).toBe("StorageAccessDenied");
    expect(c.message).toContain(uri("datasets/wrong-keys")); // the first object it touches: the output prefix
    expect(c.message).toContain("secret key does not match");
  });

  it("an endpoint that does not answer: StorageUnreachable with the URI and the endpoint within seconds, retried (Progressing, not Failed)", {
    timeout: 120_000,
  }, async () => {
    const storage = { ...s3.podStorage(), endpoint: "http://127.0.0.1:9" };
    await applyObject(admin, await s3DataSet("unreachable", { storage }));
    const c = await conditionOf("unreachable", "Progressing", "StorageUnreachable");
    expect(c.message).toMatch(/retrying with back-off$/);
    const ds = await readObject(admin, ref("DataSet", "unreachable"));
    expect(ds.status.conditions.find((x: { type: string }) => x.type === "Failed")?.status).toBe("False");
    expect(c.message).toContain(uri("datasets/unreachable"));
    expect(c.message).toContain("http://127.0.0.1:9");
    expect(c.seconds).toBeLessThan(60); // connect timeout and bounded retries, never a hang
  });
});
