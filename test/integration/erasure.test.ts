// ErasureRequest end to end on the local cluster with the real OpenBao: penguins with an id per row, encrypted, its
// subject index keyed by an HMAC salt from Vault; a model trained on it. A request naming three penguins (their ids
// in a Vault secret) rewrites the version without their rows under a new data key, shreds the old version, moves the
// DataSet to the rewrite, flags the model ErasurePending and (onErasure: Retrain) trains a copy on the new version.
// Bad input: a request on a DataSet without spec.privacy says SubjectKeyNotIndexed; the API refuses a changed spec.
import { createHmac } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { erasureNames } from "../../operator/src/erasurerequest/names.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import { decryptFile } from "../../runtime/src/crypto/segments.js";
import { PENGUINS_WITH_IDS_CSV, PENGUINS_WITH_IDS_SCHEMA, penguinsTrainingJob } from "../support/dataset.js";
import { apiErrorMessage, kubeConfig, type Obj } from "../support/kube.js";
import { operatorFixture, startTestOperator } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { readParquet, tmp } from "../support/prepare.js";
import { reportFlags } from "../support/report.js";
import { type TestVault, testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const custom = admin.makeApiClient(CustomObjectsApi);
const batch = admin.makeApiClient(BatchV1Api);
const fx = operatorFixture(admin, "erasure", { start: false });
let op: OperatorHandle;
let vault: TestVault;
let folder: string;
let ns: string;
let flags: string[] = [];
const SALT = `salt-${Math.random().toString(36).slice(2)}`;
const FORGET = ["P1", "P20", "P200"]; // three penguins dropNA keeps
const MODEL = "penguins-model";
const REQUEST = "forget-three";

const plural = (kind: string) => `${kind.toLowerCase()}s`;
const get = (kind: string, name: string) =>
  custom.getNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: ns,
    plural: plural(kind),
    name,
  }) as Promise<Obj>;
const create = (kind: string, name: string, spec: Obj, extra: Obj = {}) =>
  custom.createNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: ns,
    plural: plural(kind),
    body: { apiVersion: "liftoff.dev/v1alpha1", kind, metadata: { name, namespace: ns, ...extra }, spec },
  });
const cond = (o: Obj, type: string): Obj | undefined => o.status?.conditions?.find((c: Obj) => c.type === type);

async function waitFor(kind: string, name: string, what: string, test: (o: Obj) => boolean, timeoutMs: number) {
  let last: Obj | undefined;
  try {
    return await pollUntil(
      `${kind} ${name} ${what}`,
      async () => {
        last = await get(kind, name).catch(() => undefined);
        return last && test(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last?.status ?? null)}`);
  }
}

const penguinsWithIds = (privacy: boolean, path = privacy ? "penguins" : "plain"): Obj => ({
  source: { inline: { data: PENGUINS_WITH_IDS_CSV } },
  schema: PENGUINS_WITH_IDS_SCHEMA,
  transforms: [
    { type: "dropNA" },
    { type: "dropColumns", columns: ["year", "penguin_id"] },
    { type: "standardize" },
    { type: "oneHot", columns: ["island", "sex"] },
  ],
  output: { claimName: "data", path },
  encryption: { transitKey: `${ns}-datasets`, vaultRole: `${ns}-dataset` },
  resources: { cpu: "1", memory: "512Mi" },
  ...(privacy
    ? {
        privacy: {
          subjectKey: "penguin_id",
          saltSecret: { path: `secret/data/${ns}/privacy`, key: "salt" },
          onErasure: "Retrain",
        },
      }
    : {}),
});

/** Where the key store keeps a version's wrapped data key (runtime/src/crypto/version-keys.ts). */
const keyPath = (dataset: string, keyId: string) => `secret/data/${ns}/liftoff-datakeys/${dataset}/${keyId}`;

/**
 * A version's files decrypted with its data key (read from the key store and unwrapped with the admin token, as the
 * test's own check).
 */
async function readVersion(dir: string, dataset = "penguins") {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  expect(manifest.encryption.wrappedKey).toBeUndefined(); // the key is in Vault only, never beside the data
  const stored = (await vault.admin.read(keyPath(dataset, manifest.encryption.keyId))) as {
    data: { data: { wrappedKey: string } };
  };
  const unwrapped = (await vault.admin.write(`transit/decrypt/${ns}-datasets`, {
    ciphertext: stored.data.data.wrappedKey,
  })) as { data: { plaintext: string } };
  const key = Buffer.from(unwrapped.data.plaintext, "base64");
  const plain = async (rel: string) => {
    const dst = join(tmp(), rel.replaceAll("/", "-"));
    await decryptFile(join(dir, `${rel}.enc`), dst, key, `${rel}.enc`);
    return readParquet(dst);
  };
  const parts = {
    train: await plain("train/part-00000.parquet"),
    validation: await plain("validation/part-00000.parquet"),
    test: await plain("test/part-00000.parquet"),
  };
  return {
    manifest,
    index: await plain("subjects.parquet"),
    rows: parts.train.length + parts.validation.length + parts.test.length,
  };
}

beforeAll(async () => {
  const name = inject("clusterName");
  ns = fx.ns.name;
  vault = testVault(name);
  await vault.putKv(`secret/data/${ns}/privacy`, { salt: SALT });
  await vault.putKv(`secret/data/${ns}/erasure`, { ids: `${FORGET.join("\n")}\n` });
  await vault.createTransitKey(`${ns}-datasets`);
  const datasetRole = {
    name: `${ns}-dataset`,
    namespace: ns,
    serviceAccount: "penguins-dataset",
    kvPaths: [`secret/data/${ns}/privacy`, `secret/data/${ns}/erasure`],
    datakeyKeys: [`${ns}-datasets`],
    decryptKeys: [`${ns}-datasets`],
    // The namespace's DataSets keep each version's data key in the key store; shredding destroys it there.
    versionKeys: { access: "write" as const },
  };
  await vault.createRole(datasetRole, ["penguins-dataset", "plain-dataset", "penguins2-dataset", "penguins3-dataset"]);
  // The model's training pod and its retrain's (its name is fixed by the request and the TrainingJob) only decrypt.
  const trainRole = {
    name: `${ns}-train`,
    namespace: ns,
    serviceAccount: `${MODEL}-train`,
    decryptKeys: [`${ns}-datasets`],
    versionKeys: { access: "read" as const },
  };
  await vault.createRole(trainRole, [`${MODEL}-train`, `${erasureNames(REQUEST).retrain(MODEL)}-train`]);
  // The second model's role is bound to its own pod only: its retrain cannot log in (the failure path).
  await vault.createRole({ ...trainRole, name: `${ns}-train2`, serviceAccount: "model2-train" });
  flags = [
    "--leader-elect=false",
    ...(await reportFlags(name)),
    `--vault-addr=${vault.podAddress}`,
    "--vault-ca-configmap=kube-root-ca.crt",
  ];
  op = await startTestOperator(fx.operatorKc, [ns], flags);
  await op.leading;
  folder = await claimHostFolder(admin, ns, "data");
}, 120_000);

afterAll(async () => {
  await op?.stop();
});

describe("ErasureRequest", () => {
  it("erases three penguins: a new version without their rows, the old one shredded, the model flagged and retrained", {
    timeout: 600_000,
  }, async () => {
    await create("DataSet", "penguins", penguinsWithIds(true));
    const ds = await waitFor("DataSet", "penguins", "Ready", (o) => cond(o, "Ready")?.status === "True", 180_000);
    const oldDigest: string = ds.status.digest;
    const oldDir = join(folder, "penguins", oldDigest.slice(7));
    const before = await readVersion(oldDir);
    const salt = Buffer.from(SALT);
    const hashes = FORGET.map((k) => createHmac("sha256", salt).update(k).digest("hex"));
    const indexed = new Set(before.index.map((r) => String(r.subject)));
    for (const h of hashes) expect(indexed.has(h)).toBe(true);
    expect(before.index.length).toBe(before.rows);
    // The index holds HMACs only: no id in its bytes, encrypted or not.
    const idxBytes = readFileSync(join(oldDir, "subjects.parquet.enc"));
    expect(idxBytes.includes("P200")).toBe(false);

    const model = {
      ...penguinsTrainingJob(5, MODEL),
      spec: { ...penguinsTrainingJob(5, MODEL).spec, vaultRole: `${ns}-train` },
    };
    await create("TrainingJob", MODEL, model.spec);
    const trained = await waitFor(
      "TrainingJob",
      MODEL,
      "Succeeded",
      (o) => ["Succeeded", "Failed"].includes(o.status?.phase),
      300_000,
    );
    expect(trained.status.phase, JSON.stringify(trained.status.conditions)).toBe("Succeeded");
    expect(trained.status.model.dataSetDigest).toBe(oldDigest);
    expect(cond(trained, "ErasurePending")).toBeUndefined();

    // A ModelDeployment serving the model: flagged by its own reconciler once the model is.
    await create("ModelDeployment", "serve", {
      model: { trainingJobRef: { name: MODEL } },
      replicas: 1,
      resources: { cpu: "250m", memory: "512Mi" },
    });
    await create("ErasureRequest", REQUEST, {
      dataSetRef: { name: "penguins" },
      subjects: { vaultSecret: { path: `secret/data/${ns}/erasure`, key: "ids" } },
      reason: "integration test",
    });
    // The record is written first; Complete waits for the retrain.
    const recorded = await waitFor(
      "ErasureRequest",
      REQUEST,
      "recorded",
      (o) => o.status?.found !== undefined || cond(o, "Stalled")?.status === "True",
      180_000,
    );
    expect(cond(recorded, "Stalled")?.status, JSON.stringify(recorded.status.conditions)).not.toBe("True");
    const newDigest: string = recorded.status.rewritten[0].to;
    expect(recorded.status).toMatchObject({
      rowsFound: 3,
      versionsRewritten: 1,
      found: [{ version: oldDigest.slice(7, 19), digest: oldDigest, rows: 3 }],
      rewritten: [{ from: oldDigest, to: newDigest, rows: before.rows - 3 }],
      shredded: [{ version: oldDigest.slice(7, 19), digest: oldDigest, keyId: before.manifest.encryption.keyId }],
    });
    expect(newDigest).not.toBe(oldDigest);
    // Nothing in the status or the Events names a subject.
    expect(JSON.stringify(recorded)).not.toMatch(/"P(1|20|200)"/);

    // The old version is gone from the claim; the new one holds every row but the three, under a new data key.
    expect(existsSync(oldDir)).toBe(false);
    expect(readdirSync(join(folder, "penguins"))).toEqual([newDigest.slice(7)]);
    const after = await readVersion(join(folder, "penguins", newDigest.slice(7)));
    expect(after.rows).toBe(before.rows - 3);
    expect(after.index.length).toBe(after.rows);
    const left = new Set(after.index.map((r) => String(r.subject)));
    for (const h of hashes) expect(left.has(h)).toBe(false);
    expect(after.manifest.encryption.keyId).not.toBe(before.manifest.encryption.keyId);
    expect(after.manifest.erasure).toEqual({
      request: REQUEST,
      from: oldDigest,
      erased: 3,
      kept: before.rows - 3,
      keyId: before.manifest.encryption.keyId,
    });
    // The old version's key is destroyed: a copy of its files taken before can no longer be decrypted.
    await expect(vault.admin.read(keyPath("penguins", before.manifest.encryption.keyId))).rejects.toThrow();

    // The DataSet moved to the rewrite; the model trained on the old version is flagged by its own reconciler.
    const moved = await waitFor("DataSet", "penguins", "on the rewrite", (o) => o.status?.digest === newDigest, 60_000);
    expect(moved.status.rows.total).toBe(before.rows - 3);
    const flagged = await waitFor(
      "TrainingJob",
      MODEL,
      "ErasurePending",
      (o) => cond(o, "ErasurePending")?.status === "True",
      60_000,
    );
    expect(cond(flagged, "ErasurePending")).toMatchObject({ reason: "ErasureRequested" });
    expect(cond(flagged, "ErasurePending")?.message).toContain(REQUEST);
    expect(flagged.status.model.dataSetDigest).toBe(oldDigest); // its lineage is history, unchanged

    const served = await waitFor(
      "ModelDeployment",
      "serve",
      "ErasurePending",
      (o) => cond(o, "ErasurePending")?.status === "True",
      60_000,
    );
    expect(cond(served, "ErasurePending")).toMatchObject({ reason: "ErasureRequested" });
    expect(cond(served, "ErasurePending")?.message).toContain(`TrainingJob ${MODEL}`);

    // onErasure: Retrain — a copy of the model trains on the rewrite; then the request is Complete.
    const done = await waitFor(
      "ErasureRequest",
      REQUEST,
      "Complete or Incomplete",
      (o) => cond(o, "Complete")?.status === "True" || cond(o, "Stalled")?.status === "True",
      360_000,
    );
    expect(cond(done, "Complete"), JSON.stringify(done.status)).toMatchObject({ status: "True", reason: "Erased" });
    const retrainName = erasureNames(REQUEST).retrain(MODEL);
    const retrain = await get("TrainingJob", retrainName);
    expect(retrain.status.phase).toBe("Succeeded");
    expect(retrain.status.model.dataSetDigest).toBe(newDigest);
    expect(retrain.spec.model).toEqual(trained.spec.model);
    expect(done.status.flagged).toEqual([
      { kind: "TrainingJob", name: MODEL },
      { kind: "ModelDeployment", name: "serve" },
    ]);
    expect(done.status.retrained).toEqual([
      {
        trainingJob: MODEL,
        retrainedAs: retrainName,
        from: oldDigest,
        to: newDigest,
        model: retrain.status.model.digest,
      },
    ]);
    expect(cond(retrain, "ErasurePending")).toBeUndefined();
    const named = await waitFor(
      "TrainingJob",
      MODEL,
      "names its retrain",
      (o) => cond(o, "ErasurePending")?.message?.includes(retrainName),
      60_000,
    );
    expect(cond(named, "ErasurePending")?.status).toBe("True");
  });

  it("a retrain that fails leaves the request Incomplete, naming why, and the old model flagged", {
    timeout: 400_000,
  }, async () => {
    await create("DataSet", "penguins2", penguinsWithIds(true, "penguins2"));
    await waitFor("DataSet", "penguins2", "Ready", (o) => cond(o, "Ready")?.status === "True", 180_000);
    const spec = {
      ...penguinsTrainingJob(3, "model2").spec,
      dataSetRef: { name: "penguins2" },
      vaultRole: `${ns}-train2`,
    };
    await create("TrainingJob", "model2", spec);
    const trained = await waitFor(
      "TrainingJob",
      "model2",
      "finished",
      (o) => ["Succeeded", "Failed"].includes(o.status?.phase),
      300_000,
    );
    expect(trained.status.phase, JSON.stringify(trained.status.conditions)).toBe("Succeeded");
    await create("ErasureRequest", "forget-fails", {
      dataSetRef: { name: "penguins2" },
      subjects: { vaultSecret: { path: `secret/data/${ns}/erasure`, key: "ids" } },
    });
    const failed = await waitFor(
      "ErasureRequest",
      "forget-fails",
      "Stalled",
      (o) => cond(o, "Stalled")?.status === "True",
      300_000,
    );
    const retrain = erasureNames("forget-fails").retrain("model2");
    expect(failed.status.rowsFound).toBe(3);
    expect(cond(failed, "Complete")).toMatchObject({ status: "False", reason: "Incomplete" });
    expect(cond(failed, "Complete")?.message).toContain(`retrain ${retrain} of TrainingJob model2 failed`);
    expect(cond(failed, "Complete")?.message).toContain("VaultPermissionDenied");
    expect((await get("TrainingJob", retrain)).status.phase).toBe("Failed");
    const flagged = await waitFor(
      "TrainingJob",
      "model2",
      "ErasurePending",
      (o) => cond(o, "ErasurePending")?.status === "True",
      60_000,
    );
    expect(cond(flagged, "ErasurePending")?.message).toContain("forget-fails");
  });

  it("an operator stopped while the erase pod runs: the pod's retry finds its own rewrite, nothing is rewritten twice", {
    timeout: 300_000,
  }, async () => {
    const spec = penguinsWithIds(true, "penguins3");
    spec.privacy.onErasure = "Flag";
    await create("DataSet", "penguins3", spec);
    const ds = await waitFor("DataSet", "penguins3", "Ready", (o) => cond(o, "Ready")?.status === "True", 180_000);
    const jobName = erasureNames("forget-restart").job;
    const job = () => batch.readNamespacedJob({ namespace: ns, name: jobName }).catch(() => undefined);
    await create("ErasureRequest", "forget-restart", {
      dataSetRef: { name: "penguins3" },
      subjects: { vaultSecret: { path: `secret/data/${ns}/erasure`, key: "ids" } },
    });
    await pollUntil("the erase Job", async () => (await job()) !== undefined, { timeoutMs: 60_000, intervalMs: 50 });
    await op.stop(); // the pod cannot report: it exits 1 and the Job runs it again
    const out = join(folder, "penguins3");
    const firstTry = await pollUntil("the first pod failed", async () => ((await job())?.status?.failed ?? 0) >= 1, {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    expect(firstTry).toBe(true);
    // The first pod did its work before failing to report: the rewrite is published and the old version gone.
    const [rewritten, ...more] = readdirSync(out);
    expect(more).toEqual([]);
    expect(`sha256:${rewritten}`).not.toBe(ds.status.digest);
    op = await startTestOperator(fx.operatorKc, [ns], flags);
    await op.leading;
    const done = await waitFor(
      "ErasureRequest",
      "forget-restart",
      "Complete",
      (o) => cond(o, "Complete")?.status === "True",
      120_000,
    );
    expect(done.status.rewritten).toEqual([
      { from: ds.status.digest, to: `sha256:${rewritten}`, rows: done.status.rewritten[0].rows },
    ]);
    expect(done.status.found).toEqual([{ version: ds.status.digest.slice(7, 19), digest: ds.status.digest, rows: 3 }]);
    expect(readdirSync(out)).toEqual([rewritten]); // one rewrite, not two
    // The pod that reported exits 0: the Job completes, after one failed attempt.
    const finished = await pollUntil(
      "the erase Job complete",
      async () => {
        const j = await job();
        return (j?.status?.succeeded ?? 0) >= 1 ? j : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(finished.status?.succeeded).toBe(1);
    expect(finished.status?.failed ?? 0).toBeGreaterThanOrEqual(1);
  });

  it("says SubjectKeyNotIndexed for a DataSet without spec.privacy, and refuses a changed spec", {
    timeout: 120_000,
  }, async () => {
    await create("DataSet", "plain", penguinsWithIds(false));
    await create("ErasureRequest", "no-index", {
      dataSetRef: { name: "plain" },
      subjects: { vaultSecret: { path: `secret/data/${ns}/erasure`, key: "ids" } },
    });
    const refused = await waitFor(
      "ErasureRequest",
      "no-index",
      "a condition",
      (o) => cond(o, "Complete") !== undefined,
      60_000,
    );
    expect(cond(refused, "Complete")).toMatchObject({ status: "False", reason: "SubjectKeyNotIndexed" });
    expect(cond(refused, "Complete")?.message).toContain("DataSet plain");
    const err = await custom
      .patchNamespacedCustomObject(
        {
          group: "liftoff.dev",
          version: "v1alpha1",
          namespace: ns,
          plural: "erasurerequests",
          name: "no-index",
          body: { spec: { dataSetRef: { name: "penguins" } } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      )
      .then(
        () => undefined,
        (e: unknown) => apiErrorMessage(e),
      );
    expect(err?.code).toBe(422);
    expect(err?.message).toContain("an ErasureRequest is a record: its spec cannot change");
  });
});
