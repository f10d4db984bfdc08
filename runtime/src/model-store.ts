/**
 * The object store a serving pod reads s3:// models and baselines from, built from its env the way the AWS CLI is
 * configured (AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the default chain), or with
 * keys from Vault when the operator set LIFTOFF_S3_VAULT_*_PATH (runtime/src/contract/storage.ts). One client per
 * process, built on first use: a pod that reads nothing from object storage logs in to nothing for it.
 */
import { POD_ENV } from "./contract/pod-env.js";
import type { StoreFor } from "./model-s3.js";
import type { s3ClientFromEnv } from "./storage/s3-client.js";

export function objectStoresFromEnv(env: NodeJS.ProcessEnv): StoreFor {
  let client: ReturnType<typeof s3ClientFromEnv> | undefined;
  return async (bucket) => {
    // The AWS SDK and the Vault client are imported on first use too: loading them costs every start about 0.3 s.
    client ??= (async () => {
      const { s3ClientFromEnv } = await import("./storage/s3-client.js");
      const { vaultClientFromEnv } = await import("./vault/env.js");
      const needsVault = Boolean(env[POD_ENV.s3VaultKvPath.name] || env[POD_ENV.s3VaultAwsPath.name]);
      return s3ClientFromEnv(env, needsVault ? await vaultClientFromEnv(env) : undefined);
    })();
    // A failed build is not kept: the next start (the pod restarting) tries again anyway, and so may a retry here.
    const built = await client.catch((err: unknown) => {
      client = undefined;
      throw err;
    });
    const { s3ObjectStore } = await import("./storage/object-store.js");
    return s3ObjectStore(built, bucket);
  };
}
