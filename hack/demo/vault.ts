// The demo as the local cluster's Vault admin (the root token in .liftoff/<cluster>/openbao/init.json, which
// workloads never see): plant the serving API key and the Kubernetes-auth roles of the demo's pods, each with
// least privilege, and unwrap the DataSet's data key where the demo itself reads the encrypted test split.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { type AdminVault, adminVault, writeWorkloadRole } from "../../devcluster/openbao/admin.js";
import { readInitSecrets } from "../../devcluster/openbao/init.js";
import { readVaultConnection, type VaultConnection } from "../../devcluster/openbao/openbao.js";
import { DEV_S3_POLICY } from "../../devcluster/openbao/policies.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import type { ManifestJson } from "../../runtime/src/contract/artifacts.js";
import { StepFailure } from "./steps.js";

export function vaultConnection(clusterName: string): VaultConnection {
  return readVaultConnection(clusterConfig(clusterName));
}

function admin(clusterName: string): { admin: AdminVault; conn: VaultConnection } {
  const config = clusterConfig(clusterName);
  const conn = readVaultConnection(config);
  const secrets = readInitSecrets(openbaoLayout(config));
  if (!secrets) throw new StepFailure(`the ${clusterName} cluster's OpenBao is not initialised`);
  return { admin: adminVault(conn.address, conn.caFile, secrets.rootToken), conn };
}

/**
 * A fresh API key in `path` (KV v2) under `key`, readable only by the ModelDeployment's serving pods; with
 * `captureTransitKey`, the same role may also mint and unwrap data keys of that transit key (spec.capture encrypts
 * each version it writes: docs/modeldeployment.md, "Capture"), and read `saltPaths` (hashed pii).
 */
export async function plantApiKey(
  clusterName: string,
  o: {
    namespace: string;
    modelDeployment: string;
    path: string;
    key: string;
    captureTransitKey?: string;
    saltPaths?: string[];
  },
): Promise<string> {
  const { admin: vault, conn } = admin(clusterName);
  const apiKey = `lk_${randomBytes(24).toString("base64url")}`;
  await vault.write(o.path, { data: { [o.key]: apiKey } });
  // The operator's default serving role name and service account (operator/src/modeldeployment).
  await writeWorkloadRole(vault, conn.authMount, {
    name: `liftoff-${o.namespace}-${o.modelDeployment}`,
    namespace: o.namespace,
    serviceAccount: `${o.modelDeployment}-runtime`,
    kvPaths: [o.path, ...(o.saltPaths ?? [])],
    ...(o.captureTransitKey ? { datakeyKeys: [o.captureTransitKey], decryptKeys: [o.captureTransitKey] } : {}),
    namespaceKv: false,
    extraPolicies: [DEV_S3_POLICY], // the local S3 server's keys, for the s3:// variant
  });
  return apiKey;
}

/** Who may use the DataSet's transit key: its prepare pod mints and unwraps data keys, the training pod only unwraps. */
export interface DataKeyRoles {
  namespace: string;
  transitKey: string;
  dataSet: { role: string; serviceAccount: string };
  trainingJob: { role: string; serviceAccount: string };
}

/** The transit key (kept if it exists) and the two roles. */
export async function plantDataKeyRoles(clusterName: string, o: DataKeyRoles): Promise<void> {
  const { admin: vault, conn } = admin(clusterName);
  await vault.write(`transit/keys/${o.transitKey}`, { type: "aes256-gcm96" });
  await writeWorkloadRole(vault, conn.authMount, {
    name: o.dataSet.role,
    namespace: o.namespace,
    serviceAccount: o.dataSet.serviceAccount,
    datakeyKeys: [o.transitKey],
    decryptKeys: [o.transitKey],
    namespaceKv: false,
    extraPolicies: [DEV_S3_POLICY], // the local S3 server's keys, for the s3:// variant
  });
  await writeWorkloadRole(vault, conn.authMount, {
    name: o.trainingJob.role,
    namespace: o.namespace,
    serviceAccount: o.trainingJob.serviceAccount,
    decryptKeys: [o.transitKey],
    namespaceKv: false,
    extraPolicies: [DEV_S3_POLICY], // the local S3 server's keys, for the s3:// variant
  });
}

/**
 * The data key of a DataSet version folder, unwrapped with the admin token (the demo and tests read its test split;
 * they are not workloads); undefined when the version is not encrypted.
 */
export async function versionDataKey(clusterName: string, versionDir: string): Promise<Buffer | undefined> {
  const manifest = JSON.parse(readFileSync(join(versionDir, "manifest.json"), "utf8")) as ManifestJson;
  if (!manifest.encryption) return undefined;
  const { transitKey, wrappedKey } = manifest.encryption;
  const res = (await admin(clusterName).admin.write(`transit/decrypt/${transitKey}`, { ciphertext: wrappedKey })) as {
    data?: { plaintext?: string };
  };
  return Buffer.from(res.data?.plaintext ?? "", "base64");
}
