// s3:// URIs of DataSet sources and outputs and of TrainingJob data, outputs and checkpoints: parsed, and opened on the
// storage layer (runtime/src/storage/) with the pod's environment (AWS_* and LIFTOFF_S3_VAULT_*).

import { parseModelUri } from "./contract/model-uri.js";
import { type ObjectStore, s3ObjectStore } from "./storage/object-store.js";
import { s3ClientFromEnv, type VaultReader } from "./storage/s3-client.js";

export const isS3Uri = (uri: string): boolean => uri.startsWith("s3://");

/**
 * s3://bucket/a/b/ → { bucket, key: "a/b" } (no leading or trailing slash; "" for the bucket's root), by the
 * contract's parser, as serving reads model URIs.
 */
export function s3Location(uri: string): { bucket: string; key: string } {
  const { location, lowerCaseScheme } = parseModelUri(uri);
  if (location.kind !== "s3" || !lowerCaseScheme || location.bucket === "" || /\s/.test(uri)) {
    throw new Error(`${uri} is not an s3://bucket/key URI`);
  }
  return { bucket: location.bucket, key: location.key.replace(/^\/+|\/+$/g, "") };
}

/** The store of the URI's bucket and the key (or prefix) it names. */
export async function openS3(
  uri: string,
  env: NodeJS.ProcessEnv,
  vault?: VaultReader,
): Promise<{ store: ObjectStore; key: string }> {
  const { bucket, key } = s3Location(uri);
  return { store: s3ObjectStore(await s3ClientFromEnv(env, vault), bucket), key };
}
