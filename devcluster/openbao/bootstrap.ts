// Bootstrap as code: Kubernetes auth against an API server, the transit engine, KV v2 at secret/, the
// namespace policy and the audited pod header (the audit device itself is in the server's config: server.ts). Idempotent (run at every cluster:up); works on any Vault/OpenBao given an admin token
// (see docs/vault.md and devcluster/openbao/bootstrap-cli.ts).
import { POD_HEADER } from "../../runtime/src/contract/vault-audit.js";
import type { AdminVault } from "./admin.js";
import { KV_MOUNT, NAMESPACE_KV_POLICY, namespaceKvPolicy, TRANSIT_MOUNT } from "./policies.js";

export interface BootstrapInput {
  /** The Kubernetes API as Vault reaches it. */
  kubernetesHost: string;
  /** PEM of the CA that signed the API server's certificate. */
  kubernetesCaCert: string;
  /** A token of a service account bound to system:auth-delegator, for TokenReview calls. */
  tokenReviewerJwt: string;
  authMount?: string;
}

interface MountInfo {
  type: string;
  accessor?: string;
  options?: { version?: string } | null;
}

/** node-vault returns the table both at the top level and under `data`; read `data` when present. */
function table(res: unknown): Record<string, MountInfo> {
  const r = res as { data?: Record<string, MountInfo> } & Record<string, MountInfo>;
  return (r.data ?? r) as Record<string, MountInfo>;
}

async function ensureMount(
  vault: AdminVault,
  mounts: Record<string, MountInfo>,
  path: string,
  body: { type: string; options?: Record<string, string> },
  done: string[],
): Promise<void> {
  const existing = mounts[`${path}/`];
  if (existing) {
    if (existing.type !== body.type || (body.options?.version && existing.options?.version !== body.options.version))
      throw new Error(
        `${path}/ is already mounted as ${existing.type} v${existing.options?.version ?? "1"}; Liftoff needs ${body.type}${body.options?.version ? ` v${body.options.version}` : ""} there`,
      );
    return;
  }
  await vault.write(`sys/mounts/${path}`, body);
  done.push(`enabled ${body.type} at ${path}/`);
}

/** Returns what it changed (empty on a second run, apart from the auth config it always rewrites). */
export async function bootstrapVault(vault: AdminVault, input: BootstrapInput): Promise<string[]> {
  const mount = input.authMount ?? "kubernetes";
  const done: string[] = [];
  let auths = table(await vault.read("sys/auth"));
  if (!auths[`${mount}/`]) {
    await vault.write(`sys/auth/${mount}`, { type: "kubernetes" });
    done.push(`enabled kubernetes auth at ${mount}/`);
    auths = table(await vault.read("sys/auth"));
  } else if (auths[`${mount}/`]?.type !== "kubernetes") {
    throw new Error(`auth mount ${mount}/ is of type ${auths[`${mount}/`]?.type}, not kubernetes`);
  }
  // Always rewritten: the reviewer token is re-issued at every bootstrap and the API server CA may change.
  await vault.write(`auth/${mount}/config`, {
    kubernetes_host: input.kubernetesHost,
    kubernetes_ca_cert: input.kubernetesCaCert,
    token_reviewer_jwt: input.tokenReviewerJwt,
    disable_local_ca_jwt: true,
  });
  const mounts = table(await vault.read("sys/mounts"));
  await ensureMount(vault, mounts, KV_MOUNT, { type: "kv", options: { version: "2" } }, done);
  await ensureMount(vault, mounts, TRANSIT_MOUNT, { type: "transit" }, done);
  const accessor = auths[`${mount}/`]?.accessor;
  if (!accessor) throw new Error(`auth mount ${mount}/ has no accessor`);
  await vault.write(`sys/policies/acl/${NAMESPACE_KV_POLICY}`, { policy: namespaceKvPolicy(accessor) });
  // The audit log keeps the pod's name in clear (a name, no secret): the access record says which pod read a version.
  await vault.write(`sys/config/auditing/request-headers/${POD_HEADER.toLowerCase()}`, { hmac: false });
  return done;
}
