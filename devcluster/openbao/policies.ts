// Vault/OpenBao ACL policies and Kubernetes-auth roles as data (pure). The same text works on a production
// Vault: docs/vault.md shows the CLI lines that write it.
import { VAULT_AUDIENCE } from "../../operator/src/vault/pod-identity.js";
import { DATAKEY_FOLDER } from "../../runtime/src/contract/vault-audit.js";

export const KV_MOUNT = "secret";
export const TRANSIT_MOUNT = "transit";

/**
 * Every workload may read the KV v2 secrets in its own namespace's folder, secret/data/<namespace>/..., and
 * nothing else: templated on the namespace Kubernetes auth put on the token's entity alias.
 */
export function namespaceKvPolicy(kubernetesAuthAccessor: string): string {
  const ns = `{{identity.entity.aliases.${kubernetesAuthAccessor}.metadata.service_account_namespace}}`;
  return `# Written by Liftoff's bootstrap: a workload reads secrets under its own namespace only.
path "${KV_MOUNT}/data/${ns}/*" {
  capabilities = ["read"]
}
`;
}

export const NAMESPACE_KV_POLICY = "liftoff-namespace-kv";

/** One workload's Vault identity: who may log in (service account + namespace) and what it may touch. */
export interface WorkloadRole {
  name: string;
  namespace: string;
  serviceAccount: string;
  /** Full KV v2 data paths it may read, e.g. "secret/data/team-a/postgres". */
  kvPaths?: string[];
  /** Transit keys it may mint wrapped data keys from (datakey/wrapped). */
  datakeyKeys?: string[];
  /** Transit keys whose ciphertexts it may decrypt (unwrap data keys). */
  decryptKeys?: string[];
  /**
   * The DataSet version-key store in the role's namespace (secret/…/<namespace>/liftoff-datakeys/<dataSet>/*,
   * runtime/src/crypto/version-keys.ts): "write" for a DataSet's prepare pods (store a new version's wrapped key,
   * read it, shred it), "read" for the pods that decrypt versions (training). `dataSets` limits it to those DataSets
   * (default: every DataSet of the namespace).
   */
  versionKeys?: { access: "write" | "read"; dataSets?: string[] };
  /** Token TTL in seconds (default 600): short, renewed by the client while the pod runs. */
  ttlSeconds?: number;
  /** Longest a token may be renewed to before the client logs in again (default six TTLs). */
  maxTtlSeconds?: number;
  /** Attach the namespace-folder KV policy as well (default true). */
  namespaceKv?: boolean;
  /** Named policies the role gets besides its own (e.g. DEV_S3_POLICY on the local cluster). */
  extraPolicies?: string[];
}

export function rolePolicyName(role: Pick<WorkloadRole, "name">): string {
  return `liftoff-role-${role.name}`;
}

/** The least-privilege policy of one role: exactly its KV paths and transit operations. */
export function rolePolicy(role: WorkloadRole): string {
  const blocks = [
    ...(role.kvPaths ?? []).map((p) => ({ path: p, caps: ["read"] })),
    ...(role.datakeyKeys ?? []).map((k) => ({ path: `${TRANSIT_MOUNT}/datakey/wrapped/${k}`, caps: ["update"] })),
    ...(role.decryptKeys ?? []).map((k) => ({ path: `${TRANSIT_MOUNT}/decrypt/${k}`, caps: ["update"] })),
    ...versionKeyBlocks(role),
  ];
  const body = blocks
    .map((b) => `path ${JSON.stringify(b.path)} {\n  capabilities = ${JSON.stringify(b.caps)}\n}\n`)
    .join("");
  return `# Role ${role.name}: ${role.namespace}/${role.serviceAccount}\n${body || "# (no extra paths)\n"}`;
}

/**
 * The key store's paths: writers create (never update: a keyId is written once) and read a key, and shred it with
 * KV v2's metadata delete (destroys every version); readers only read. Nobody lists the store.
 */
function versionKeyBlocks(role: WorkloadRole): { path: string; caps: string[] }[] {
  const vk = role.versionKeys;
  if (!vk) return [];
  const folders = (vk.dataSets ?? ["+"]).map((d) => `${role.namespace}/${DATAKEY_FOLDER}/${d}/*`);
  return folders.flatMap((f) =>
    vk.access === "write"
      ? [
          { path: `${KV_MOUNT}/data/${f}`, caps: ["create", "read"] },
          { path: `${KV_MOUNT}/metadata/${f}`, caps: ["delete"] },
        ]
      : [{ path: `${KV_MOUNT}/data/${f}`, caps: ["read"] }],
  );
}

/** The body of auth/<mount>/role/<name>. */
export function roleBody(role: WorkloadRole): Record<string, unknown> {
  const policies = [
    rolePolicyName(role),
    ...(role.namespaceKv === false ? [] : [NAMESPACE_KV_POLICY]),
    ...(role.extraPolicies ?? []),
  ];
  const ttl = role.ttlSeconds ?? 600;
  return {
    bound_service_account_names: [role.serviceAccount],
    bound_service_account_namespaces: [role.namespace],
    audience: VAULT_AUDIENCE,
    token_policies: policies,
    token_ttl: ttl,
    token_max_ttl: role.maxTtlSeconds ?? ttl * 6,
  };
}

/**
 * The local cluster's S3 keys (devcluster/seaweedfs): every workload role the dev cluster's tests and demo create
 * may read this one KV secret, wherever its namespace (cluster:up writes the policy; test/support/vault.ts attaches it).
 */
export const DEV_S3_POLICY = "liftoff-dev-s3";

export function devS3Policy(kvDataPath: string): string {
  return `# Written by cluster:up: the local S3 server's keys for Liftoff pods (devcluster/seaweedfs).
path ${JSON.stringify(kvDataPath)} {
  capabilities = ["read"]
}
`;
}
