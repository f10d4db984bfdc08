// The test cluster's OpenBao for integration tests: plant KV secrets and transit keys, create Kubernetes-auth
// roles, mint service-account tokens of audience "vault", and seal, stop or start the server. Uses the root token
// from .liftoff/<cluster>/openbao/init.json; workloads never see it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { startComponent, stopComponent } from "../../devcluster/cluster/cluster.js";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { type AdminVault, adminVault, writeWorkloadRole } from "../../devcluster/openbao/admin.js";
import { initAndUnseal, readInitSecrets } from "../../devcluster/openbao/init.js";
import { readVaultConnection, type VaultConnection } from "../../devcluster/openbao/openbao.js";
import { DEV_S3_POLICY, roleBody, type WorkloadRole } from "../../devcluster/openbao/policies.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import { VAULT_AUDIENCE } from "../../operator/src/vault/pod-identity.js";

export interface TestVault extends VaultConnection {
  admin: AdminVault;
  /** Writes a KV v2 secret; `path` is the data path, e.g. "secret/data/<ns>/postgres". */
  putKv(path: string, data: Record<string, string>): Promise<void>;
  /** Deletes every version and the metadata of a KV v2 secret. */
  deleteKv(path: string): Promise<void>;
  createTransitKey(name: string): Promise<void>;
  /**
   * The role and its least-privilege policy (see devcluster/openbao/policies.ts), plus DEV_S3_POLICY; bound to
   * `serviceAccounts` when given (a template's and its copies', a search's trials), else to role.serviceAccount.
   */
  createRole(role: WorkloadRole, serviceAccounts?: string[]): Promise<void>;
  deleteRole(name: string): Promise<void>;
  /** Revokes every token issued by Kubernetes-auth logins (clients must log in again). */
  revokeLogins(): Promise<void>;
  seal(): Promise<void>;
  unseal(): Promise<void>;
  /** Stops the server process by PID (clients then see VaultUnreachable). */
  stop(): Promise<void>;
  /** Starts it again and unseals it, as cluster:up would. */
  start(): Promise<void>;
  /** A TokenRequest token (audience "vault" unless told otherwise) for a service account, in a 0600 file. */
  tokenFile(
    kc: KubeConfig,
    namespace: string,
    serviceAccount: string,
    opts?: { audience?: string; expirationSeconds?: number },
  ): Promise<string>;
}

function kvMetadataPath(dataPath: string): string {
  return dataPath.replace(/^([^/]+)\/data\//, "$1/metadata/");
}

export function testVault(clusterName: string): TestVault {
  const config = clusterConfig(clusterName);
  const layout = openbaoLayout(config);
  const conn = readVaultConnection(config);
  const secrets = readInitSecrets(layout);
  if (!secrets) throw new Error(`cluster "${clusterName}" has no initialised OpenBao (${layout.initFile})`);
  const admin = adminVault(conn.address, conn.caFile, secrets.rootToken);
  const mount = conn.authMount;
  const tokens = mkdtempSync(join(tmpdir(), "liftoff-vault-tokens-"));
  return {
    ...conn,
    admin,
    putKv: async (path, data) => {
      await admin.write(path, { data });
    },
    deleteKv: async (path) => {
      await admin.delete(kvMetadataPath(path));
    },
    createTransitKey: async (name) => {
      await admin.write(`transit/keys/${name}`, { type: "aes256-gcm96" });
    },
    // Every test role may read the cluster's S3 keys (secret/data/liftoff/s3), as on the dev cluster's demo.
    createRole: async (role, serviceAccounts) => {
      const withS3 = { ...role, extraPolicies: [DEV_S3_POLICY, ...(role.extraPolicies ?? [])] };
      await writeWorkloadRole(admin, mount, withS3);
      if (serviceAccounts) {
        await admin.write(`auth/${mount}/role/${role.name}`, {
          ...roleBody(withS3),
          bound_service_account_names: serviceAccounts,
        });
      }
    },
    deleteRole: async (name) => {
      await admin.delete(`auth/${mount}/role/${name}`);
    },
    revokeLogins: async () => {
      await admin.write(`sys/leases/revoke-prefix/auth/${mount}/login`, {});
    },
    seal: async () => {
      await admin.write("sys/seal", {});
    },
    unseal: async () => {
      await initAndUnseal(layout, conn.address, conn.caFile);
    },
    stop: () => stopComponent(clusterName, "openbao"),
    start: async () => {
      await startComponent(clusterName, "openbao");
      await initAndUnseal(layout, conn.address, conn.caFile);
    },
    tokenFile: async (kc, namespace, serviceAccount, opts = {}) => {
      const res = await kc.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
        name: serviceAccount,
        namespace,
        body: {
          spec: { audiences: [opts.audience ?? VAULT_AUDIENCE], expirationSeconds: opts.expirationSeconds ?? 600 },
        },
      });
      const file = join(tokens, `${namespace}-${serviceAccount}-${Date.now()}`);
      writeFileSync(file, res.status?.token ?? "", { mode: 0o600 });
      return file;
    },
  };
}
