// A version's data key, for the erase pod, through the DataSet's per-version key store (crypto/version-keys.ts): a
// fresh key for each version it writes, the old one to read a version, and destroying it with the version. Manifests
// from before the store carry their wrapped key inline: they open, and shredding them is deleting their files.
import type { ManifestJson } from "../contract/artifacts.js";
import { DEFAULT_SEGMENT_SIZE } from "../crypto/segments.js";
import {
  createVersionKey as createStoredKey,
  openVersionKey as openStoredKey,
  shredVersionKey as shredStoredKey,
  type VersionKeyOwner,
  type VersionKeyWriter,
} from "../crypto/version-keys.js";

type Encryption = NonNullable<ManifestJson["encryption"]>;

export async function createVersionKey(
  vault: VersionKeyWriter,
  owner: VersionKeyOwner | undefined,
  transitKey: string,
): Promise<{ encryption: Encryption; dataKey: Buffer }> {
  if (!owner)
    throw new Error(
      "the version is encrypted and the pod was not told its DataSet (LIFTOFF_DATASET): the new version's key has no place in the key store",
    );
  const { keyId, dataKey } = await createStoredKey(vault, { ...owner, transitKey });
  return {
    encryption: { transitKey, keyId, algorithm: "AES-256-GCM", segmentSize: DEFAULT_SEGMENT_SIZE },
    dataKey,
  };
}

export function openVersionKey(
  vault: VersionKeyWriter,
  owner: VersionKeyOwner | undefined,
  encryption: Encryption,
): Promise<Buffer> {
  return openStoredKey(vault, encryption, owner);
}

/** Destroys the version's key where the key store keeps it apart from its files; the key id destroyed, if any. */
export async function shredVersionKey(
  vault: VersionKeyWriter,
  owner: VersionKeyOwner | undefined,
  encryption: Encryption,
): Promise<string | undefined> {
  if (encryption.keyId === undefined) return undefined; // inline wrapped key: deleting the files deletes it
  if (!owner)
    throw new Error(`cannot shred data key ${encryption.keyId}: the pod was not told its DataSet (LIFTOFF_DATASET)`);
  await shredStoredKey(vault, { ...owner, keyId: encryption.keyId });
  return encryption.keyId;
}
