// ModelDeployment serving from object storage on the local cluster (issue #27): an ONNX model in a bucket of the
// cluster's real S3 server (SeaweedFS, started by cluster:up), `model.uri: s3://…` with `storage` (endpoint + keys in Vault KV, read by the pod with its
// own Vault identity) becomes Ready and answers correctly; a second replica on the node loads it from the node cache
// without downloading it; a missing key, wrong keys, an unreachable endpoint and a digest mismatch each give a Ready
// False condition whose reason is the storage failure and whose message names the URI and the cause.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serviceEndpoint } from "../../devcluster/node-agent/service-endpoint.js";
import { ELEM, onnxModel } from "../../runtime/src/serve/model/onnx-test-model.js";
import { s3ObjectStore } from "../../runtime/src/storage/object-store.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, getModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { bucketFor, testS3 } from "../support/s3.js";
import { testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const core = admin.makeApiClient(CoreV1Api);
const vault = testVault(inject("clusterName"));
// The node folder the operator gives pods as their shared model cache (a hostPath: not a restricted namespace).
const cacheHost = mkdtempSync(join(tmpdir(), "liftoff-s3-model-cache-"));
afterAll(() => rmSync(cacheHost, { recursive: true, force: true }));
const fx = operatorFixture(admin, "mdep-s3", {
  flags: [
    "--leader-elect=false",
    `--vault-addr=${vault.podAddress}`,
    "--vault-ca-configmap=kube-root-ca.crt",
    `--model-cache-hostpath=${cacheHost}`,
    "--model-cache-gib=1",
  ],
});

/** y = x + x, x float32 [batch, 3]. */
function doubler(): Uint8Array {
  const t = (name: string) => ({ name, elem: ELEM.float, dims: ["batch", 3] as (string | number)[] });
  return onnxModel([t("x")], [t("y")], [{ op: "Add", inputs: ["x", "x"], outputs: ["y"] }]);
}
const model = doubler();
const HEX = createHash("sha256").update(model).digest("hex");

// The cluster's S3 server (cluster:up), a bucket of this file's own.
const s3 = testS3(inject("clusterName"));
const bucket = bucketFor("modeldeployment-s3.test.ts");
const keysPath = () => s3.vaultKvPath;
const wrongKeysPath = () => `secret/data/${fx.ns.name}/s3-wrong`;
const modelUri = () => `s3://${bucket}/${fx.ns.name}/doubler.onnx`;

beforeAll(async () => {
  await s3.createBucket(bucket);
  const dir = mkdtempSync(join(tmpdir(), "liftoff-s3-model-"));
  try {
    writeFileSync(join(dir, "doubler.onnx"), model);
    await s3ObjectStore(s3.client(), bucket).upload(join(dir, "doubler.onnx"), `${fx.ns.name}/doubler.onnx`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The liftoff identity's key id with another secret: the server refuses the signature.
  await vault.putKv(wrongKeysPath(), { accessKeyId: s3.keys.liftoff.accessKeyId, secretAccessKey: "not-the-secret" });
}, 120_000);

afterAll(async () => {
  await s3.emptyBucket(bucket, `${fx.ns.name}/`).catch(() => 0);
  s3.close();
});

const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);

/** The serving pods' Vault role, allowed to read the S3 keys' KV path (docs/vault.md). */
async function servingRole(name: string, kvPath: string): Promise<void> {
  await vault.createRole({
    name: `liftoff-${fx.ns.name}-${name}`,
    namespace: fx.ns.name,
    serviceAccount: `${name}-runtime`,
    kvPaths: [kvPath],
    namespaceKv: false,
  });
}

async function deploy(name: string, o: { uri?: string; digest?: string; storage?: Obj; replicas?: number } = {}) {
  const storage = o.storage ?? (s3.podStorage() as Obj);
  await servingRole(name, (storage.credentials as Obj | undefined)?.vaultKV?.path ?? keysPath());
  await createModelDeployment(admin, fx.ns.name, name, {
    model: { uri: o.uri ?? modelUri(), format: "onnx", ...(o.digest ? { digest: o.digest } : {}) },
    storage,
    replicas: o.replicas ?? 1,
    resources: { cpu: "500m", memory: "512Mi" },
  });
}

/** Each pod's runtime log. */
async function podLogs(name: string): Promise<string[]> {
  const pods = await core.listNamespacedPod({
    namespace: fx.ns.name,
    labelSelector: `liftoff.dev/modeldeployment=${name}`,
  });
  return Promise.all(
    pods.items.map((p) =>
      core
        .readNamespacedPodLog({ name: p.metadata?.name ?? "", namespace: fx.ns.name, container: "runtime" })
        .catch(() => ""),
    ),
  );
}

/** The runtime's "model … ready" log line of each ready pod. */
async function readyLines(name: string): Promise<Obj[]> {
  return (await podLogs(name))
    .flatMap((log) => log.split("\n"))
    .filter((l) => l.includes(`"model ${name} ready`))
    .map((l) => JSON.parse(l) as Obj);
}

async function readyWith(name: string, replicas: number): Promise<Obj> {
  return pollUntil(
    `${name} Ready with ${replicas} replicas`,
    async () => {
      const m = await getModelDeployment(admin, fx.ns.name, name);
      return m.status?.observedGeneration === m.metadata.generation &&
        cond(m, "Ready")?.status === "True" &&
        m.status?.readyReplicas === replicas
        ? m
        : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 250 },
  );
}

/** The Ready condition once it is False with `reason` (a pod's failure the operator copied). */
async function refused(name: string, reason: string): Promise<Obj> {
  return pollUntil(
    `${name} Ready False with ${reason}`,
    async () => {
      const m = await getModelDeployment(admin, fx.ns.name, name);
      const ready = cond(m, "Ready");
      return ready?.status === "False" && ready.reason === reason ? ready : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

describe("ModelDeployment with model.uri s3://", () => {
  it("serves the model from the bucket, and a second replica loads it from the node cache without downloading", {
    timeout: 400_000,
  }, async () => {
    await deploy("doubler");
    const ready = await readyWith("doubler", 1);
    expect(ready.status.model.uri).toBe(modelUri());
    const ep = await serviceEndpoint(admin, fx.ns.name, "doubler");
    const r = await fetch(`${ep.url}/v2/models/doubler/infer`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: [1, 2.5, -4] }] }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as { outputs: { name: string; data: number[] }[] };
    expect(body.outputs.find((o) => o.name === "y")?.data).toEqual([2, 5, -8]);
    const first = await readyLines("doubler");
    expect(first.map((l) => l.cacheHit)).toEqual([false]);
    expect(first[0]?.digest).toBe(`sha256:${HEX}`);

    await admin.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
      {
        group: "liftoff.dev",
        version: "v1alpha1",
        namespace: fx.ns.name,
        plural: "modeldeployments",
        name: "doubler",
        body: { spec: { replicas: 2 } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    await readyWith("doubler", 2);
    const both = await readyLines("doubler");
    expect(both.map((l) => l.cacheHit).sort()).toEqual([false, true]);
    expect(both.find((l) => l.cacheHit)?.downloadSeconds).toBe(0);
    // One pod downloaded the model; the other found it in the node cache and downloaded nothing.
    const logs = await podLogs("doubler");
    expect(logs.filter((l) => l.includes(`model ${modelUri()} downloaded in`))).toHaveLength(1);
    expect(logs.filter((l) => l.includes(`model ${modelUri()} found in the node cache`))).toHaveLength(1);
  });

  it.each([
    {
      name: "missing-key",
      reason: "StorageNotFound",
      spec: () => ({ uri: `s3://${bucket}/${fx.ns.name}/no-such-model.onnx` }),
      uri: () => `s3://${bucket}/${fx.ns.name}/no-such-model.onnx`,
      cause: "no object at this key",
    },
    {
      name: "wrong-keys",
      reason: "StorageAccessDenied",
      spec: () => ({ storage: { ...s3.podStorage(), credentials: { vaultKV: { path: wrongKeysPath() } } } }),
      uri: modelUri,
      cause: "check the keys",
    },
    {
      name: "unreachable",
      reason: "StorageUnreachable",
      spec: () => ({
        storage: { ...s3.podStorage(), endpoint: "http://127.0.0.1:1" },
      }),
      uri: modelUri,
      cause: "the endpoint http://127.0.0.1:1 does not answer",
    },
    {
      name: "wrong-digest",
      reason: "StorageDigestMismatch",
      spec: () => ({ digest: `sha256:${"0".repeat(64)}` }),
      uri: modelUri,
      cause: `expected sha256:${"0".repeat(64)}, got sha256:${HEX}; refusing to serve`,
    },
  ])("$name: Ready False with $reason, naming the URI and the cause", { timeout: 200_000 }, async (c) => {
    await deploy(c.name, c.spec());
    const ready = await refused(c.name, c.reason);
    expect(ready.message).toContain(`cannot load model ${c.uri()}: ${c.reason}: ${c.uri()}`);
    expect(ready.message).toContain(c.cause);
  });
});
