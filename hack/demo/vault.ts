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
import { DEV_S3_POLICY, roleBody, type WorkloadRole } from "../../devcluster/openbao/policies.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import type { ManifestJson } from "../../runtime/src/contract/artifacts.js";
import { openVersionKey, type VersionKeyOwner } from "../../runtime/src/crypto/version-keys.js";
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
    versionKeys: { access: "write" },
    namespaceKv: false,
    extraPolicies: [DEV_S3_POLICY], // the local S3 server's keys, for the s3:// variant
  });
  await writeWorkloadRole(vault, conn.authMount, {
    name: o.trainingJob.role,
    namespace: o.namespace,
    serviceAccount: o.trainingJob.serviceAccount,
    decryptKeys: [o.transitKey],
    versionKeys: { access: "read" },
    namespaceKv: false,
    extraPolicies: [DEV_S3_POLICY], // the local S3 server's keys, for the s3:// variant
  });
}

/** A role (its own least-privilege policy) that several service accounts may log in to. */
async function writeSharedRole(
  vault: AdminVault,
  mount: string,
  role: WorkloadRole,
  serviceAccounts: string[],
): Promise<void> {
  const full = { ...role, extraPolicies: [DEV_S3_POLICY] }; // the local S3 server's keys, for the s3:// variant
  await writeWorkloadRole(vault, mount, full);
  await vault.write(`auth/${mount}/role/${role.name}`, {
    ...roleBody(full),
    bound_service_account_names: serviceAccounts,
  });
}

/** The closed loop's pods (docs/loop.md): the serving pods mint and unwrap the capture's data keys (and read the API
 * key); the
 * loop's DataSet and TrainingJob copies, <mdep>-loop-<n>, use the template's roles under their own service accounts. */
export async function plantLoopRoles(
  clusterName: string,
  o: DataKeyRoles & { serving: { role: string; serviceAccount: string; kvPaths: string[] }; loopNames: string[] },
): Promise<void> {
  const { admin: vault, conn } = admin(clusterName);
  const sa = (suffix: string) =>
    [o.dataSet.serviceAccount.replace(/-dataset$/, ""), ...o.loopNames].map((n) => `${n}-${suffix}`);
  await writeSharedRole(
    vault,
    conn.authMount,
    {
      name: o.dataSet.role,
      namespace: o.namespace,
      serviceAccount: o.dataSet.serviceAccount,
      datakeyKeys: [o.transitKey],
      decryptKeys: [o.transitKey],
      versionKeys: { access: "write" },
      namespaceKv: false,
    },
    sa("dataset"),
  );
  // Each TrainingJob's default role is named after it (liftoff-<namespace>-<name>-train).
  for (const role of [o.trainingJob.role, ...o.loopNames.map((n) => `liftoff-${o.namespace}-${n}-train`)]) {
    await writeSharedRole(
      vault,
      conn.authMount,
      {
        name: role,
        namespace: o.namespace,
        serviceAccount: o.trainingJob.serviceAccount,
        decryptKeys: [o.transitKey],
        versionKeys: { access: "read" },
        namespaceKv: false,
      },
      sa("train"),
    );
  }
  await writeSharedRole(
    vault,
    conn.authMount,
    {
      name: o.serving.role,
      namespace: o.namespace,
      serviceAccount: o.serving.serviceAccount,
      kvPaths: o.serving.kvPaths,
      datakeyKeys: [o.transitKey],
      decryptKeys: [o.transitKey],
      namespaceKv: false,
    },
    [o.serving.serviceAccount],
  );
}

/**
 * The data key of a DataSet version folder, unwrapped with the admin token (the demo and tests read its test split;
 * they are not workloads); undefined when the version is not encrypted. The wrapped key is read from the DataSet's
 * key store in Vault KV (`owner`), or from an older manifest that carries it inline.
 */
export async function versionDataKey(
  clusterName: string,
  versionDir: string,
  owner: VersionKeyOwner,
): Promise<Buffer | undefined> {
  const manifest = JSON.parse(readFileSync(join(versionDir, "manifest.json"), "utf8")) as ManifestJson;
  if (!manifest.encryption) return undefined;
  const { admin: vault } = admin(clusterName);
  const asAdmin = {
    readKvData: async (path: string) =>
      ((await vault.read(path)) as { data: { data: Record<string, string> } }).data.data,
    unwrapDataKey: async (transitKey: string, ciphertext: string) => {
      const res = (await vault.write(`transit/decrypt/${transitKey}`, { ciphertext })) as {
        data?: { plaintext?: string };
      };
      return Buffer.from(res.data?.plaintext ?? "", "base64");
    },
  };
  return openVersionKey(asAdmin, manifest.encryption, owner);
}
