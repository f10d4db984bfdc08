// A version's data key, for the erase pod: a fresh one for each version it writes, the old one to read a version,
// and destroying it with the version. Today the wrapped key lives in manifest.json (as prepare writes it), so
// shredding is deleting the files; the per-version key store of issue #32 part 2 (runtime/src/crypto/
// version-keys.ts) replaces these three functions with its createVersionKey / openVersionKey / shredVersionKey.
import type { ManifestJson } from "../contract/artifacts.js";
import { DEFAULT_SEGMENT_SIZE } from "../crypto/segments.js";
import type { PrepareSecrets } from "../prepare/pipeline.js";

type Encryption = NonNullable<ManifestJson["encryption"]>;

export async function createVersionKey(
  vault: PrepareSecrets,
  transitKey: string,
): Promise<{ encryption: Encryption; dataKey: Buffer }> {
  const { wrappedKey } = await vault.generateWrappedDataKey(transitKey);
  const dataKey = await vault.unwrapDataKey(transitKey, wrappedKey);
  return {
    encryption: { transitKey, wrappedKey, algorithm: "AES-256-GCM", segmentSize: DEFAULT_SEGMENT_SIZE },
    dataKey,
  };
}

export async function openVersionKey(vault: PrepareSecrets, encryption: Encryption): Promise<Buffer> {
  return vault.unwrapDataKey(encryption.transitKey, encryption.wrappedKey);
}

/** Destroys the version's key where it is kept apart from its files; the key id destroyed, if any. */
export async function shredVersionKey(_vault: PrepareSecrets, _encryption: Encryption): Promise<string | undefined> {
  return undefined; // the wrapped key is in the version's manifest.json: deleting the files deletes it
}
