// Retention with crypto-shredding, through the operator on the local cluster with the real OpenBao: an encrypted
// penguins DataSet keeps its last version only (retention.keepLast: 1). Each version's wrapped data key lives in
// Vault KV (liftoff-datakeys), not in its files; when a new generation publishes, the older version is shredded —
// its KV key destroyed, its folder deleted, status.versions recording it — and a copy of its files taken before
// cannot be decrypted afterwards, even by a client logged in with the prepare pod's own Vault role. Deleting the
// DataSet shreds the last one the same way.
import { cpSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { dataSetNames } from "../../operator/src/dataset/names.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import type { ManifestJson } from "../../runtime/src/contract/artifacts.js";
import { decryptToBuffer } from "../../runtime/src/crypto/segments.js";
import { openVersionKey } from "../../runtime/src/crypto/version-keys.js";
import { loginVaultClient } from "../../runtime/src/vault/client.js";
import { VaultError } from "../../runtime/src/vault/errors.js";
import {
  condition,
  createDataSet,
  deleteDataSet,
  getDataSet,
  PENGUINS_CSV,
  PENGUINS_SCHEMA,
  PENGUINS_TRANSFORMS,
  waitSettled,
} from "../support/dataset.js";
import { kubeConfig } from "../support/kube.js";
import { operatorFixture, startTestOperator } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { tmp } from "../support/prepare.js";
import { reportFlags } from "../support/report.js";
import { type TestVault, testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "dataset-retention", { start: false });
const penguins = (name: string, retention: Record<string, unknown>) => ({
  source: { inline: { data: PENGUINS_CSV } },
  schema: PENGUINS_SCHEMA,
  transforms: PENGUINS_TRANSFORMS,
  output: { claimName: "data", path: name },
  encryption: { transitKey: `${ns}-data`, vaultRole: role(name) },
  retention,
  resources: { cpu: "1", memory: "512Mi" },
});
/** Waits until generation `gen` of a DataSet is published. */
const publishedGeneration = (name: string, gen: number) =>
  pollUntil(
    `${name} generation ${gen} published`,
    async () => {
      const ds = await getDataSet(admin, ns, name);
      return ds?.status?.observedGeneration === gen && condition(ds, "Ready")?.status === "True" ? ds : undefined;
    },
    { timeoutMs: 150_000, intervalMs: 250 },
  );
let op: OperatorHandle;
let vault: TestVault;
let folder: string;
let ns: string;
const NAME = "penguins";

const AGED = "aged";
const role = (name = NAME) => `${ns}-${name}-dataset`;
const owner = () => ({ namespace: ns, dataset: NAME });
const keyPath = (keyId: string, name = NAME) => `secret/data/${ns}/liftoff-datakeys/${name}/${keyId}`;
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as ManifestJson;

/** Whether the key store still holds the key (the admin token reads anything). */
async function stored(keyId: string, name = NAME): Promise<boolean> {
  return vault.admin.read(keyPath(keyId, name)).then(
    () => true,
    (err: { status?: number }) => {
      if (err.status === 404) return false;
      throw err;
    },
  );
}

/** A client logged in exactly as the prepare pod logs in: its service account's token, its role. */
async function asPreparePod() {
  const tokenFile = await vault.tokenFile(admin, ns, `${NAME}-dataset`);
  return loginVaultClient({ address: vault.address, caFile: vault.caFile, role: role(), tokenFile });
}

async function newGeneration(seed: number, name = NAME): Promise<void> {
  await admin.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject(
    {
      group: "liftoff.dev",
      version: "v1alpha1",
      namespace: ns,
      plural: "datasets",
      name,
      body: { spec: { split: { seed } } },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

beforeAll(async () => {
  const cluster = inject("clusterName");
  ns = fx.ns.name;
  vault = testVault(cluster);
  await vault.createTransitKey(`${ns}-data`);
  for (const name of [NAME, AGED]) {
    await vault.createRole({
      name: role(name),
      namespace: ns,
      serviceAccount: `${name}-dataset`,
      datakeyKeys: [`${ns}-data`],
      decryptKeys: [`${ns}-data`],
      versionKeys: { access: "write", dataSets: [name] },
      namespaceKv: false,
    });
  }
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
  folder = await claimHostFolder(admin, ns, "data");
}, 120_000);

afterAll(async () => {
  await op?.stop();
});

describe("DataSet retention with crypto-shredding", () => {
  it("keeps each version's key in Vault KV, shreds the older version past keepLast, and a pre-shred copy no longer decrypts", {
    timeout: 300_000,
  }, async () => {
    await createDataSet(admin, ns, NAME, penguins(NAME, { keepLast: 1 }));
    const first = await waitSettled(admin, ns, NAME, 150_000);
    expect(condition(first, "Ready"), JSON.stringify(first.status?.conditions)).toMatchObject({ status: "True" });
    const firstDir = join(folder, NAME, first.status.digest.slice(7));
    const firstEnc = manifestOf(firstDir).encryption;
    // The manifest names the key; the wrapped key itself is only in the key store.
    expect(firstEnc).toMatchObject({ transitKey: `${ns}-data`, keyId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(firstEnc?.wrappedKey).toBeUndefined();
    const firstKeyId = firstEnc?.keyId as string;
    expect(await stored(firstKeyId)).toBe(true);
    expect(first.status.versions).toEqual([
      {
        version: first.status.version,
        digest: first.status.digest,
        created: expect.any(String),
        keyId: firstKeyId,
        state: "Current",
      },
    ]);

    // Before shredding: the pod's own role opens the version (so the failure below is the shredding's doing).
    const copy = join(tmp(), "copy");
    cpSync(firstDir, copy, { recursive: true });
    const pod = await asPreparePod();
    try {
      const key = await openVersionKey(
        pod,
        manifestOf(copy).encryption as NonNullable<ManifestJson["encryption"]>,
        owner(),
      );
      const stats = await decryptToBuffer(join(copy, "stats.json.enc"), key, "stats.json.enc");
      expect(JSON.parse(stats.toString()).rows.train).toBe(first.status.rows.train);
      key.fill(0);
    } finally {
      pod.close();
    }

    await newGeneration(7);
    const second = await publishedGeneration(NAME, 2);
    expect(second.status.digest).not.toBe(first.status.digest);
    const secondKeyId = manifestOf(join(folder, NAME, second.status.digest.slice(7))).encryption?.keyId as string;
    expect(secondKeyId).not.toBe(firstKeyId);
    // The older version is shredded: key destroyed in Vault, folder gone; the record says so.
    expect(await stored(firstKeyId)).toBe(false);
    expect(await stored(secondKeyId)).toBe(true);
    expect(existsSync(firstDir)).toBe(false);
    expect(readdirSync(join(folder, NAME))).toEqual([second.status.digest.slice(7)]);
    expect(second.status.versions).toEqual([
      expect.objectContaining({ digest: second.status.digest, keyId: secondKeyId, state: "Current" }),
      expect.objectContaining({
        digest: first.status.digest,
        keyId: firstKeyId,
        state: "Shredded",
        reason: "KeepLast",
        shredded: expect.any(String),
      }),
    ]);

    // The copy taken before: the prepare pod's own role (which may read the key store and decrypt with the transit
    // key) can no longer open it, because the only wrapped copy of its data key is gone.
    const again = await asPreparePod();
    try {
      const failure = await openVersionKey(
        again,
        manifestOf(copy).encryption as NonNullable<ManifestJson["encryption"]>,
        owner(),
      ).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(VaultError);
      expect(failure).toMatchObject({ reason: "DataKeyShredded", path: keyPath(firstKeyId) });
      expect((failure as Error).message).toContain(
        `the data key ${firstKeyId} of DataSet ${ns}/${NAME} is not in Vault`,
      );
      // The same login still opens the retained version: the role is intact, only the shredded key is gone.
      const current = manifestOf(join(folder, NAME, second.status.digest.slice(7))).encryption;
      (await openVersionKey(again, current as NonNullable<ManifestJson["encryption"]>, owner())).fill(0);
    } finally {
      again.close();
    }

    // Deleting the DataSet shreds the last version too (the cleanup Job runs under the DataSet's Vault role).
    await deleteDataSet(admin, ns, NAME);
    await pollUntil("the DataSet gone", async () => (await getDataSet(admin, ns, NAME)) === undefined, {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    expect(await stored(secondKeyId)).toBe(false);
    expect(readdirSync(join(folder, NAME))).toEqual([]);
  });

  it("shreds a retained version once it is older than maxAge, with a prune Job between generations", {
    timeout: 360_000,
  }, async () => {
    // keepLast stays retainVersions (3): only the age drops the older version, after both are published.
    await createDataSet(admin, ns, AGED, penguins(AGED, { maxAge: "90s" }));
    const first = await waitSettled(admin, ns, AGED, 150_000);
    expect(condition(first, "Ready"), JSON.stringify(first.status?.conditions)).toMatchObject({ status: "True" });
    const firstHex = first.status.digest.slice(7);
    const firstKeyId = manifestOf(join(folder, AGED, firstHex)).encryption?.keyId as string;
    await newGeneration(11, AGED);
    const second = await publishedGeneration(AGED, 2);
    expect(second.status.versions.map((v: { digest: string; state: string }) => [v.digest, v.state])).toEqual([
      [second.status.digest, "Current"],
      [first.status.digest, "Retained"],
    ]);
    expect(await stored(firstKeyId, AGED)).toBe(true);

    // No new generation: the operator requeues the DataSet at the first version's expiry and runs a prune Job.
    const aged = await pollUntil(
      "the first version shredded for its age",
      async () => {
        const ds = await getDataSet(admin, ns, AGED);
        const v = ds?.status?.versions?.find((x: { digest: string }) => x.digest === first.status.digest);
        return v?.state === "Shredded" ? ds : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    expect(aged.status.versions).toEqual([
      expect.objectContaining({ digest: second.status.digest, state: "Current" }),
      expect.objectContaining({ digest: first.status.digest, keyId: firstKeyId, state: "Shredded", reason: "MaxAge" }),
    ]);
    expect(aged.metadata.generation).toBe(2);
    expect(await stored(firstKeyId, AGED)).toBe(false);
    expect(existsSync(join(folder, AGED, firstHex))).toBe(false);
    expect(readdirSync(join(folder, AGED))).toEqual([second.status.digest.slice(7)]);
    // The Job that did it is the one named by the version it dropped (a restarted operator would find it).
    const job = await admin
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ namespace: ns, name: dataSetNames(AGED).pruneJob([firstHex]) });
    expect(job.spec?.template?.spec?.containers?.[0]?.args?.slice(0, 2)).toEqual(["prepare", "--prune"]);
  });
});
