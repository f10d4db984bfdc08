// The per-version data-key store: every encrypted DataSet version has its own 256-bit data key, minted by Vault
// transit and kept only wrapped, in Vault KV v2 at secret/data/<namespace>/liftoff-datakeys/<dataset>/<keyId> —
// never in the version's own files, whose manifest.json names only the keyId. Shredding a version destroys that KV
// secret (every version of it, through KV v2's metadata delete), so a copy of the files taken before — a backup, a
// cache, a stolen volume snapshot — cannot be decrypted afterwards by anyone, the DataSet's own pods included.
// Manifests written before the store existed carry the wrapped key inline: they still open, and cannot be shredded
// beyond deleting their files (docs/dataset.md, "Retention and crypto-shredding").
import { randomBytes } from "node:crypto";
import type { ManifestEncryption } from "../contract/artifacts.js";
import { DATAKEY_FOLDER } from "../contract/vault-audit.js";
import { VaultReason } from "../contract/vault-reasons.js";
import { VaultError } from "../vault/errors.js";

/** The KV mount and the folder below each namespace's own (the namespace KV policy lets its pods read it). */
const KEY_STORE_MOUNT = "secret";

/** Which DataSet a version key belongs to. */
export interface VersionKeyOwner {
  namespace: string;
  dataset: string;
}

/** What this module needs from Vault (runtime/src/vault's client satisfies it). */
export interface VersionKeyReader {
  readKvData(path: string): Promise<Record<string, string>>;
  unwrapDataKey(transitKey: string, wrappedKey: string): Promise<Buffer>;
}

export interface VersionKeyWriter extends VersionKeyReader {
  generateWrappedDataKey(transitKey: string): Promise<{ wrappedKey: string }>;
  writeKv(path: string, data: Record<string, string>): Promise<void>;
  destroyKv(path: string): Promise<void>;
}

const KEY_ID = /^[0-9a-f]{32}$/;
/** A Kubernetes object name (DNS-1123 subdomain): the path segments cannot climb out of the store. */
const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function checkOwner(o: VersionKeyOwner): void {
  for (const [what, v] of [
    ["namespace", o.namespace],
    ["dataset", o.dataset],
  ] as const) {
    if (!NAME.test(v) || v.includes(".."))
      throw new Error(`version key store: ${what} "${v}" is not a Kubernetes name`);
  }
}

/** The KV v2 data path of one version's key (pure). */
export function versionKeyPath(o: VersionKeyOwner, keyId: string): string {
  checkOwner(o);
  if (!KEY_ID.test(keyId)) throw new Error(`version key store: keyId "${keyId}" is not 32 hex digits`);
  return `${KEY_STORE_MOUNT}/data/${o.namespace}/${DATAKEY_FOLDER}/${o.dataset}/${keyId}`;
}

/** A fresh keyId: 128 random bits in hex, chosen by the writer before anything is written. */
const newKeyId = (): string => randomBytes(16).toString("hex");

/**
 * Mints a data key for a new version: transit wraps it, the wrapped form goes to the key store under a fresh keyId,
 * and the plaintext key is returned for the writer (who zeroes it when done). Nothing is stored in the version.
 */
export async function createVersionKey(
  vault: VersionKeyWriter,
  o: VersionKeyOwner & { transitKey: string; now?: Date },
): Promise<{ keyId: string; dataKey: Buffer }> {
  const keyId = newKeyId();
  const path = versionKeyPath(o, keyId);
  const { wrappedKey } = await vault.generateWrappedDataKey(o.transitKey);
  // Stored before the key is used: a version never exists whose key was not kept.
  await vault.writeKv(path, {
    wrappedKey,
    transitKey: o.transitKey,
    dataset: `${o.namespace}/${o.dataset}`,
    createdAt: (o.now ?? new Date()).toISOString(),
  });
  const dataKey = await vault.unwrapDataKey(o.transitKey, wrappedKey);
  return { keyId, dataKey };
}

/**
 * The data key of a version from its manifest's encryption block: the key store's wrapped key (keyId), or an old
 * manifest's inline wrappedKey. A shredded version fails with VaultError `DataKeyShredded`.
 */
export async function openVersionKey(
  vault: VersionKeyReader,
  enc: ManifestEncryption,
  o: VersionKeyOwner | undefined,
): Promise<Buffer> {
  if (enc.keyId === undefined) {
    if (!enc.wrappedKey) throw new Error("manifest.json's encryption names neither a keyId nor a wrappedKey");
    return vault.unwrapDataKey(enc.transitKey, enc.wrappedKey);
  }
  if (!o) {
    throw new VaultError(
      VaultReason.SecretNotFound,
      `SecretNotFound: the version's data key ${enc.keyId} is in the key store of its DataSet, and this reader was not told which DataSet (namespace and name) the version belongs to`,
    );
  }
  const path = versionKeyPath(o, enc.keyId);
  let stored: Record<string, string>;
  try {
    stored = await vault.readKvData(path);
  } catch (err) {
    if (err instanceof VaultError && err.reason === VaultReason.SecretNotFound) throw shredded(o, enc.keyId, path, err);
    throw err;
  }
  const wrappedKey = stored.wrappedKey;
  if (!wrappedKey) throw shredded(o, enc.keyId, path);
  if (stored.transitKey && stored.transitKey !== enc.transitKey) {
    throw new VaultError(
      VaultReason.SecretNotFound,
      `SecretNotFound: the data key ${enc.keyId} of ${o.namespace}/${o.dataset} was wrapped with transit key "${stored.transitKey}", the version's manifest names "${enc.transitKey}"`,
      { path },
    );
  }
  return vault.unwrapDataKey(enc.transitKey, wrappedKey);
}

function shredded(o: VersionKeyOwner, keyId: string, path: string, cause?: VaultError): VaultError {
  return new VaultError(
    VaultReason.DataKeyShredded,
    `DataKeyShredded: the data key ${keyId} of DataSet ${o.namespace}/${o.dataset} is not in Vault (${path}): the version was shredded (retention or erasure) and its files can no longer be decrypted`,
    { path, ...(cause?.role ? { role: cause.role } : {}) },
  );
}

/**
 * Destroys a version's data key (every KV version of it, permanently). Done before the version's files are deleted:
 * a crash between the two leaves undecryptable files, never a readable version without its record.
 */
export async function shredVersionKey(vault: VersionKeyWriter, o: VersionKeyOwner & { keyId: string }): Promise<void> {
  await vault.destroyKv(versionKeyPath(o, o.keyId));
}

/** "<namespace>/<name>" (LIFTOFF_DATASET) → the owner; undefined for anything else. */
export function parseOwner(value: string | undefined): VersionKeyOwner | undefined {
  const m = /^([^/]+)\/([^/]+)$/.exec(value ?? "");
  if (!m) return undefined;
  const o = { namespace: m[1] as string, dataset: m[2] as string };
  return NAME.test(o.namespace) && NAME.test(o.dataset) ? o : undefined;
}
