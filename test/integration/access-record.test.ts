// The access record (issue #32, part 3) on the local cluster: OpenBao's file audit device (declared in the server's
// config by cluster:up) logs every read of a DataSet version's data key with the Kubernetes-auth identity and the
// X-Liftoff-Pod header; the operator tails that log and writes the DataSet's status.access. The reads here are made
// through the runtime's own Vault client, logged in by Kubernetes auth as a real service account.
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import { loginVaultClient } from "../../runtime/src/vault/client.js";
import { VaultError } from "../../runtime/src/vault/errors.js";
import { createDataSet, getDataSet, PENGUINS_SCHEMA } from "../support/dataset.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { operatorFixture, startTestOperator } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { type TestVault, testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "access", { start: false });
const SA = "penguins-train";
const KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const GONE = "00000000000000000000000000000000";
let vault: TestVault;
let op: OperatorHandle | undefined;
let ns: string;

const keyPath = (keyId: string) => `secret/data/${ns}/liftoff-datakeys/penguins/${keyId}`;

async function startOperator(): Promise<OperatorHandle> {
  const audit = openbaoLayout(clusterConfig(inject("clusterName"))).auditFile;
  const handle = await startTestOperator(fx.operatorKc, [ns], ["--leader-elect=false", `--vault-audit-file=${audit}`]);
  await handle.leading;
  return handle;
}

/** Reads a key as the service account, through the runtime's client, naming `pod`; the KV data or the refusal. */
async function readAs(pod: string, keyId: string): Promise<Record<string, string> | VaultError> {
  const client = await loginVaultClient({
    address: vault.address,
    caFile: vault.caFile,
    role: `${ns}-train`,
    tokenFile: await vault.tokenFile(admin, ns, SA),
    pod,
  });
  try {
    return await client.readKvData(keyPath(keyId));
  } catch (err) {
    if (err instanceof VaultError) return err;
    throw err;
  } finally {
    client.close();
  }
}

const accessOf = async (keyId: string): Promise<Obj | undefined> =>
  ((await getDataSet(admin, ns, "penguins"))?.status?.access as Obj[] | undefined)?.find((a) => a.keyId === keyId);

beforeAll(async () => {
  ns = fx.ns.name;
  vault = testVault(inject("clusterName"));
  await admin
    .makeApiClient(CoreV1Api)
    .createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: SA } } });
  // The training role as the key store gives it: the namespace folder's KV read (secret/data/<ns>/*) and nothing else.
  await vault.createRole({ name: `${ns}-train`, namespace: ns, serviceAccount: SA });
  // A version's wrapped key, where the DataSet's prepare pod puts it (runtime/src/crypto/version-keys.ts).
  await vault.putKv(keyPath(KEY), { wrappedKey: "vault:v1:not-a-real-key", transitKey: `${ns}-data` });
  // The DataSet only has to exist: the record is its status whatever its prepare run does.
  await createDataSet(admin, ns, "penguins", {
    source: { pvc: { claimName: "raw", path: "penguins.csv" } },
    format: "csv",
    schema: PENGUINS_SCHEMA,
    output: { claimName: "data", path: "penguins" },
  });
  op = await startOperator();
}, 120_000);

afterAll(async () => {
  await op?.stop();
});

describe("access record from OpenBao's audit device", () => {
  it("shows a read of a version's key with the service account Vault verified and the pod", {
    timeout: 90_000,
  }, async () => {
    const read = await readAs("penguins-train-x7k2p", KEY);
    expect(read).toMatchObject({ wrappedKey: "vault:v1:not-a-real-key" });
    const refused = await readAs("penguins-train-x7k2p", GONE);
    expect(refused).toBeInstanceOf(VaultError);

    const entry = await pollUntil("status.access names the read", async () => {
      const a = await accessOf(KEY);
      return a?.reads === 1 ? a : undefined;
    });
    expect(entry.readers).toEqual([
      { serviceAccount: SA, namespace: ns, pod: "penguins-train-x7k2p", reads: 1, lastRead: entry.lastRead },
    ]);
    expect(Date.parse(entry.lastRead)).toBeGreaterThan(Date.now() - 120_000);
    // The key that does not exist (a shredded version's) counts as refused, with no reader.
    const gone = await pollUntil("status.access counts the refused read", async () => {
      const a = await accessOf(GONE);
      return a?.refused === 1 ? a : undefined;
    });
    expect(gone).toMatchObject({ reads: 0, readers: [] });
  });

  it("counts each read once across an operator restart, which reads the whole log again", {
    timeout: 120_000,
  }, async () => {
    await op?.stop();
    op = undefined;
    expect(await readAs("penguins-train-q9w8e", KEY)).toMatchObject({ transitKey: `${ns}-data` });
    op = await startOperator();
    const entry = await pollUntil("the new read counted", async () => {
      const a = await accessOf(KEY);
      return a?.readers?.length === 2 ? a : undefined;
    });
    // Two reads in all: the first, logged before the restart and read again from the log, was not counted twice.
    expect(entry.reads).toBe(2);
    expect(entry.readers.map((r: Obj) => [r.pod, r.reads])).toEqual([
      ["penguins-train-q9w8e", 1],
      ["penguins-train-x7k2p", 1],
    ]);
    expect((await accessOf(GONE))?.refused).toBe(1);
  });
});
