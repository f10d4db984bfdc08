// The demo as the local cluster's Vault admin (the root token in .liftoff/<cluster>/openbao/init.json, which
// workloads never see): plant the serving API key and the serving pods' least-privilege Kubernetes-auth role.
import { randomBytes } from "node:crypto";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { adminVault } from "../../devcluster/openbao/admin.js";
import { readInitSecrets } from "../../devcluster/openbao/init.js";
import { readVaultConnection, type VaultConnection } from "../../devcluster/openbao/openbao.js";
import { roleBody, rolePolicy, rolePolicyName } from "../../devcluster/openbao/policies.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import { StepFailure } from "./steps.js";

export function vaultConnection(clusterName: string): VaultConnection {
  return readVaultConnection(clusterConfig(clusterName));
}

/** A fresh API key in `path` (KV v2) under `key`, readable only by the ModelDeployment's serving pods. */
export async function plantApiKey(
  clusterName: string,
  o: { namespace: string; modelDeployment: string; path: string; key: string },
): Promise<string> {
  const config = clusterConfig(clusterName);
  const conn = readVaultConnection(config);
  const secrets = readInitSecrets(openbaoLayout(config));
  if (!secrets) throw new StepFailure(`the ${clusterName} cluster's OpenBao is not initialised`);
  const admin = adminVault(conn.address, conn.caFile, secrets.rootToken);
  const apiKey = `lk_${randomBytes(24).toString("base64url")}`;
  await admin.write(o.path, { data: { [o.key]: apiKey } });
  // The operator's default serving role name and service account (operator/src/modeldeployment).
  const role = {
    name: `liftoff-${o.namespace}-${o.modelDeployment}`,
    namespace: o.namespace,
    serviceAccount: `${o.modelDeployment}-runtime`,
    kvPaths: [o.path],
    namespaceKv: false,
  };
  await admin.write(`sys/policies/acl/${rolePolicyName(role)}`, { policy: rolePolicy(role) });
  await admin.write(`auth/${conn.authMount}/role/${role.name}`, roleBody(role));
  return apiKey;
}
