// A DataSet that needs Vault, through the operator on the local cluster with real OpenBao and a real PostgreSQL:
// the rows come from a postgres query (DSN from KV), an e-mail column is HMAC-hashed (salt from KV), and the version
// is envelope-encrypted (transit data key). The files must decrypt with the wrapped key and hold no plaintext.
import { createHmac } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import type { OperatorHandle } from "../../operator/src/operator.js";
import { decryptToBuffer } from "../../runtime/src/crypto/segments.js";
import { condition, createDataSet, waitSettled } from "../support/dataset.js";
import { kubeConfig } from "../support/kube.js";
import { operatorFixture, startTestOperator } from "../support/operator.js";
import { startPostgres, type TestPostgres } from "../support/postgres.js";
import { readParquet, tmp } from "../support/prepare.js";
import { podHostAddress, reportFlags } from "../support/report.js";
import { type TestVault, testVault } from "../support/vault.js";

const admin = kubeConfig(inject("kubeconfig"));
const fx = operatorFixture(admin, "dataset-vault", { start: false });
let op: OperatorHandle;
let pgServer: TestPostgres;
let vault: TestVault;
let folder: string;
const SALT = `salt-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  const name = inject("clusterName");
  const host = await podHostAddress(name);
  pgServer = await startPostgres(clusterConfig(name).ports.etcdClient + 25, [...new Set(["127.0.0.1", host])]);
  await pgServer.query(
    "CREATE TABLE customers AS SELECT i AS id, 'user' || i || '@example.org' AS email, (i % 97) * 1.5 AS spend, " +
      "CASE WHEN i % 3 = 0 THEN 'gold' ELSE 'basic' END AS plan, i % 2 = 0 AS churned FROM generate_series(1, 500) AS i",
  );
  vault = testVault(name);
  const ns = fx.ns.name;
  await vault.putKv(`secret/data/${ns}/warehouse`, { dsn: pgServer.dsn(host), salt: SALT });
  await vault.createTransitKey(`${ns}-datasets`);
  await vault.createRole({
    name: `${ns}-dataset`,
    namespace: ns,
    serviceAccount: "churn-dataset",
    kvPaths: [`secret/data/${ns}/warehouse`],
    datakeyKeys: [`${ns}-datasets`],
    decryptKeys: [`${ns}-datasets`],
    versionKeys: { access: "write" },
  });
  const flags = await reportFlags(name);
  op = await startTestOperator(
    fx.operatorKc,
    [ns],
    ["--leader-elect=false", ...flags, `--vault-addr=${vault.podAddress}`, "--vault-ca-configmap=kube-root-ca.crt"],
  );
  await op.leading;
  folder = await claimHostFolder(admin, ns, "data");
}, 120_000);

afterAll(async () => {
  await op?.stop();
  await pgServer?.stop();
});

describe("DataSet with Vault: postgres source, hashPII, encryption", () => {
  it("prepares the query's rows, hashes e-mails with the salt, and encrypts the version", {
    timeout: 180_000,
  }, async () => {
    const ns = fx.ns.name;
    const secret = { path: `secret/data/${ns}/warehouse` };
    await createDataSet(admin, ns, "churn", {
      source: {
        postgres: {
          query: "SELECT email, spend, plan, churned FROM customers ORDER BY id",
          dsnSecret: { ...secret, key: "dsn" },
        },
      },
      schema: {
        target: "churned",
        columns: [
          { name: "email", type: "string", pii: true },
          { name: "spend", type: "number" },
          { name: "plan", type: "category" },
          { name: "churned", type: "boolean" },
        ],
      },
      transforms: [
        { type: "hashPII", columns: ["email"], saltSecret: { ...secret, key: "salt" } },
        { type: "standardize" },
      ],
      output: { claimName: "data", path: "churn" },
      encryption: { transitKey: `${ns}-datasets`, vaultRole: `${ns}-dataset` },
      resources: { cpu: "1", memory: "512Mi" },
    });
    const ds = await waitSettled(admin, ns, "churn", 120_000);
    expect(condition(ds, "Ready"), JSON.stringify(ds.status?.conditions)).toMatchObject({ status: "True" });
    expect(ds.status.rows).toMatchObject({ read: 500, total: 500 });
    expect(ds.status.task).toBe("binary");
    // Encrypted: the status keeps counts only, no data values.
    expect(ds.status.columns.find((c: { name: string }) => c.name === "spend")).toEqual({
      name: "spend",
      count: 400,
      nulls: 0,
    });

    const dir = join(folder, "churn", ds.status.digest.slice(7));
    const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
    // The manifest names only the keyId; the wrapped key is in the DataSet's key store in Vault KV.
    expect(manifest.encryption.wrappedKey).toBeUndefined();
    const stored = (await vault.admin.read(
      `secret/data/${ns}/liftoff-datakeys/churn/${manifest.encryption.keyId}`,
    )) as {
      data: { data: { wrappedKey: string; transitKey: string; dataset: string } };
    };
    expect(stored.data.data).toMatchObject({ transitKey: `${ns}-datasets`, dataset: `${ns}/churn` });
    expect(stored.data.data.wrappedKey).toMatch(/^vault:v1:/);
    for (const f of manifest.files) {
      const bytes = readFileSync(join(dir, f.path));
      expect(bytes.includes("@example.org"), f.path).toBe(false);
      expect(bytes.includes("gold"), f.path).toBe(false);
    }
    // Unwrap the data key the way training does (transit decrypt) and read the data back.
    const unwrapped = (await vault.admin.write(`transit/decrypt/${ns}-datasets`, {
      ciphertext: stored.data.data.wrappedKey,
    })) as { data: { plaintext: string } };
    const key = Buffer.from(unwrapped.data.plaintext, "base64");
    const stats = JSON.parse((await decryptToBuffer(join(dir, "stats.json.enc"), key, "stats.json.enc")).toString());
    const email = stats.columns.find((c: { name: string }) => c.name === "email");
    // Every value counted is the HMAC-SHA-256 of one of the e-mails with the salt from Vault.
    const hashes = new Set(
      Array.from({ length: 500 }, (_, i) =>
        createHmac("sha256", SALT)
          .update(`user${i + 1}@example.org`)
          .digest("hex"),
      ),
    );
    const counted = Object.keys(email.histogram.counts).filter((k) => k !== "__other__");
    expect(counted.length).toBe(100);
    expect(counted.every((k) => hashes.has(k))).toBe(true);
    expect(email.count).toBe(ds.status.rows.train);
    const plain = join(tmp(), "train.parquet");
    writeFileSync(
      plain,
      await decryptToBuffer(join(dir, "train/part-00000.parquet.enc"), key, "train/part-00000.parquet.enc"),
    );
    expect((await readParquet(plain)).length).toBe(ds.status.rows.train);
    expect(readdirSync(join(folder, "churn"))).toEqual([ds.status.digest.slice(7)]);
  });
});
