// The access record (issue #32, part 3) on the local cluster: OpenBao's file audit device (declared in the server's
// config by cluster:up) logs every read of a DataSet version's data key (in Vault KV, part 2's key store) with the
// Kubernetes-auth identity and the X-Liftoff-Pod header; the operator tails that log and writes the DataSet's
// status.access. Training pods on an encrypted penguins DataSet read the key; so does the runtime's client here,
// logged in by Kubernetes auth as the same real service account, for a key that does not exist.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import { applyObject, type LiftoffObject, readObject, waitForCondition } from "../../hack/demo/kube.js";
import { loadSample, PENGUINS_CSV } from "../../hack/demo/samples.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import { loginVaultClient } from "../../runtime/src/vault/client.js";
import { VaultError } from "../../runtime/src/vault/errors.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { operatorFixture, startTestOperator } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";
import { type TestVault, testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "access", { start: false });
const CLAIM = "liftoff-data";
const JOBS = ["first", "second"] as const;
const GONE = "00000000000000000000000000000000";
let vault: TestVault;
let op: OperatorHandle | undefined;
let ns: string;
let folder: string;

const ref = (kind: LiftoffObject["kind"], name: string) => ({ kind, namespace: ns, name });
const keyPath = (keyId: string) => `secret/data/${ns}/liftoff-datakeys/penguins/${keyId}`;

async function startOperator(): Promise<OperatorHandle> {
  const cluster = inject("clusterName");
  const handle = await startTestOperator(
    fx.operatorKc,
    [ns],
    [
      "--leader-elect=false",
      ...(await reportFlags(cluster)),
      `--vault-addr=${vault.podAddress}`,
      "--vault-ca-configmap=kube-root-ca.crt",
      `--vault-audit-file=${openbaoLayout(clusterConfig(cluster)).auditFile}`,
    ],
  );
  await handle.leading;
  return handle;
}

/** The sample TrainingJob under another name: a short run of its own, into its own folder. */
async function train(name: string): Promise<string> {
  const tj = loadSample("trainingjob", ns);
  tj.metadata.name = name;
  const spec = tj.spec as Obj;
  spec.hyperparameters = { ...spec.hyperparameters, epochs: 5 };
  spec.output = { claimName: CLAIM, path: `models/${name}` };
  await applyObject(admin, tj);
  await waitForCondition(admin, ref("TrainingJob", name), "Succeeded", { timeoutMs: 180_000 });
  const pods = await admin
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: ns, labelSelector: `liftoff.dev/trainingjob=${name}` });
  const names = pods.items.map((p) => p.metadata?.name ?? "");
  expect(names.length).toBe(1);
  return names[0] as string;
}

const accessOf = async (keyId: string): Promise<Obj | undefined> =>
  ((await readObject(admin, ref("DataSet", "penguins"))).status?.access as Obj[] | undefined)?.find(
    (a) => a.keyId === keyId,
  );
const readerOf = (entry: Obj | undefined, sa: string): Obj | undefined =>
  (entry?.readers as Obj[] | undefined)?.find((r) => r.serviceAccount === sa);

let keyId: string;

beforeAll(async () => {
  ns = fx.ns.name;
  vault = testVault(inject("clusterName"));
  const transitKey = `${ns}-data`;
  await vault.createTransitKey(transitKey);
  // Least privilege as in the TrainingJob e2e test: the prepare pod writes version keys, each training pod reads them.
  await vault.createRole({
    name: `${ns}-dataset`,
    namespace: ns,
    serviceAccount: "penguins-dataset",
    datakeyKeys: [transitKey],
    decryptKeys: [transitKey],
    versionKeys: { access: "write" },
    namespaceKv: false,
  });
  for (const name of JOBS) {
    await vault.createRole({
      name: `liftoff-${ns}-${name}-train`,
      namespace: ns,
      serviceAccount: `${name}-train`,
      decryptKeys: [transitKey],
      versionKeys: { access: "read" },
      namespaceKv: false,
    });
  }
  op = await startOperator();
  folder = await claimHostFolder(admin, ns, CLAIM);
  mkdirSync(join(folder, "raw"), { recursive: true });
  copyFileSync(PENGUINS_CSV, join(folder, "raw", "penguins.csv"));
  const ds = loadSample("dataset", ns);
  (ds.spec as Obj).encryption = { transitKey, vaultRole: `${ns}-dataset` };
  await applyObject(admin, ds);
  await waitForCondition(admin, ref("DataSet", "penguins"), "Ready", { timeoutMs: 120_000 });
  const digest = (await readObject(admin, ref("DataSet", "penguins"))).status.digest as string;
  const manifest = JSON.parse(
    readFileSync(join(folder, "datasets/penguins", digest.slice("sha256:".length), "manifest.json"), "utf8"),
  );
  keyId = manifest.encryption.keyId;
  expect(keyId).toMatch(/^[0-9a-f]{32}$/);
}, 240_000);

afterAll(async () => {
  await op?.stop();
});

describe("access record from OpenBao's audit device", () => {
  it("shows the training pod's read of the encrypted version with its service account and pod", {
    timeout: 240_000,
  }, async () => {
    const pod = await train("first");
    const entry = await pollUntil("status.access names the training pod's read", async () => {
      const a = await accessOf(keyId);
      return readerOf(a, "first-train") ? a : undefined;
    });
    const reader = readerOf(entry, "first-train");
    expect(reader).toMatchObject({ serviceAccount: "first-train", namespace: ns, pod });
    // status.versions (retention) names the key id's version: the one the DataSet published.
    expect(entry?.version).toBe((await readObject(admin, ref("DataSet", "penguins"))).status.version);
    expect(reader?.reads).toBeGreaterThanOrEqual(1);
    // Nobody else read it: the prepare pod wrote the key and unwrapped it at once, without a read.
    expect(entry?.readers).toHaveLength(1);
    expect(entry?.reads).toBe(reader?.reads);
    expect(Date.parse(entry?.lastRead)).toBeGreaterThan(Date.now() - 300_000);
  });

  it("counts a read of a key that is not there (a shredded version's) as refused", { timeout: 60_000 }, async () => {
    const client = await loginVaultClient({
      address: vault.address,
      caFile: vault.caFile,
      role: `liftoff-${ns}-first-train`,
      tokenFile: await vault.tokenFile(admin, ns, "first-train"),
      pod: "first-train-probe",
    });
    try {
      await expect(client.readKvData(keyPath(GONE))).rejects.toBeInstanceOf(VaultError);
    } finally {
      client.close();
    }
    const gone = await pollUntil("status.access counts the refused read", async () => {
      const a = await accessOf(GONE);
      return a?.refused === 1 ? a : undefined;
    });
    expect(gone).toMatchObject({ reads: 0, readers: [] });
  });

  it("counts each read once across an operator restart, which reads the whole log again", {
    timeout: 240_000,
  }, async () => {
    const before = await accessOf(keyId);
    const firstReads = readerOf(before, "first-train")?.reads as number;
    await op?.stop();
    op = undefined;
    op = await startOperator();
    const pod = await train("second");
    const entry = await pollUntil("the second training pod's read counted", async () => {
      const a = await accessOf(keyId);
      return readerOf(a, "second-train") ? a : undefined;
    });
    // The first pod's reads, logged before the restart and read again from the log, are not counted twice.
    expect(readerOf(entry, "first-train")?.reads).toBe(firstReads);
    expect(readerOf(entry, "second-train")).toMatchObject({ namespace: ns, pod });
    expect(entry?.reads).toBe(firstReads + (readerOf(entry, "second-train")?.reads as number));
    expect((await accessOf(GONE))?.refused).toBe(1);
  });
});
