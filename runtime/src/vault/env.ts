// The Vault client a pod builds from the variables the operator sets (operator/src/vault/pod-identity.ts).
import { join } from "node:path";
import { POD_ENV } from "../contract/pod-env.js";
import { VaultReason } from "../contract/vault-reasons.js";
import { DEFAULT_TOKEN_FILE, loginVaultClient, type VaultClientOptions, type VaultKvClient } from "./client.js";
import { VaultError } from "./errors.js";

/** The variables this parser reads, by what they hold (names from the pod env table). */
export const VAULT_ENV = {
  address: POD_ENV.vaultAddr.name,
  caFile: POD_ENV.vaultCaCert.name,
  role: POD_ENV.vaultRole.name,
  authMount: POD_ENV.vaultAuthMount.name,
  tokenFile: POD_ENV.vaultTokenFile.name,
  podName: POD_ENV.vaultPodName.name,
} as const;

/** Under the local node agent a container path P is the host path `${LIFTOFF_PATH_PREFIX}${P}`. */
function inRoot(path: string, prefix: string | undefined): string {
  return prefix && path.startsWith("/") ? join(prefix, path) : path;
}

/** Pure: the options the environment describes; throws a VaultError naming the missing variable. */
export function vaultOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): VaultClientOptions {
  const address = env[VAULT_ENV.address];
  const role = env[VAULT_ENV.role];
  if (!address) {
    throw new VaultError(
      VaultReason.VaultUnreachable,
      `VaultUnreachable: ${VAULT_ENV.address} is not set, so there is no Vault to reach`,
      {
        ...(role ? { role } : {}),
      },
    );
  }
  if (!role) {
    throw new VaultError(
      VaultReason.VaultPermissionDenied,
      `VaultPermissionDenied: ${VAULT_ENV.role} is not set, so there is no role to log in as`,
    );
  }
  const prefix = env[POD_ENV.pathPrefix.name];
  const caFile = env[VAULT_ENV.caFile];
  const authMount = env[VAULT_ENV.authMount];
  const pod = env[VAULT_ENV.podName];
  return {
    address,
    role,
    ...(caFile ? { caFile: inRoot(caFile, prefix) } : {}),
    ...(authMount ? { authMount } : {}),
    ...(pod ? { pod } : {}),
    tokenFile: inRoot(env[VAULT_ENV.tokenFile] || DEFAULT_TOKEN_FILE, prefix),
  };
}

export function vaultClientFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<VaultKvClient> {
  try {
    return loginVaultClient(vaultOptionsFromEnv(env));
  } catch (err) {
    return Promise.reject(err);
  }
}
