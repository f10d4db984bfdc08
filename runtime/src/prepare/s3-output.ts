// A DataSet output on s3://bucket/prefix: prepare publishes the version in a local folder (scratch) as for a claim,
// then uploads it to <prefix>/<digest>/, every file first and manifest.json last, so the version exists only once
// complete. Retention works on the bucket as on a claim (by their manifest's time; every version in use stays), and
// shreds as there: a dropped version's data key is destroyed before its objects; `prepare --delete` shreds every
// version. A crashed writer's objects (a folder without manifest) are removed at the next start.
import path from "node:path";
import type { ManifestEncryption, ManifestJson } from "../contract/artifacts.js";
import { ShredReason, shortVersion, type VersionRecord, versionsToDrop } from "../contract/retention.js";
import type { ObjectStore } from "../storage/object-store.js";
import { joinKey, removeUnreferenced, uploadFolder } from "../storage/version-folder.js";
import { PrepareError, PrepareReason } from "./errors.js";
import { type PruneOptions, type Shred, shreddedRecord } from "./output.js";

const VERSION_NAME = /^[0-9a-f]{64}$/;
/** Written last by uploadFolder: a version exists once its manifest does. */
const MANIFEST = "manifest.json";
/** A folder without manifest this old is a crashed writer's, not one still at work (a prepare Job runs alone). */
const STALE_WRITE_MS = 15 * 60 * 1000;

/** The version folders under prefix: name → their objects' keys and the manifest's time (absent: no manifest). */
async function versions(store: ObjectStore, prefix: string) {
  const base = joinKey(prefix, "");
  const found = new Map<string, { keys: string[]; published?: number }>();
  for await (const o of store.list(base)) {
    const rest = o.key.slice(base.length);
    const slash = rest.indexOf("/");
    const name = rest.slice(0, slash);
    if (slash <= 0 || !VERSION_NAME.test(name)) continue;
    const v = found.get(name) ?? { keys: [] };
    v.keys.push(o.key);
    if (rest.slice(slash + 1) === MANIFEST) v.published = o.lastModified?.getTime() ?? 0;
    found.set(name, v);
  }
  return found;
}

/** Removes what a crashed writer left under prefix (folders without a manifest, older than STALE_WRITE_MS). */
export async function cleanCrashedWrites(store: ObjectStore, prefix: string): Promise<number> {
  return (await removeUnreferenced(store, prefix, STALE_WRITE_MS)).length;
}

/** Uploads the local version folder `dir` (named by its digest) to <prefix>/<digest>/, then prunes. */
export async function publishToS3(
  store: ObjectStore,
  prefix: string,
  dir: string,
  prune: Omit<PruneOptions, "now">,
): Promise<{ uri: string; versions: VersionRecord[] }> {
  const digest = path.basename(dir);
  // The same content published before is uploaded again: its manifest's new time marks it the newest.
  await uploadFolder(dir, store, joinKey(prefix, digest));
  const versions = await pruneS3(store, prefix, { ...prune, keep: [digest, ...prune.keep] });
  return { uri: store.describe(joinKey(prefix, digest)), versions };
}

/** A version's manifest encryption block; undefined when it has none or it cannot be read as JSON. */
async function encryptionOf(store: ObjectStore, key: string): Promise<ManifestEncryption | undefined> {
  try {
    const o = await store.open(key);
    const chunks: Uint8Array[] = [];
    for await (const c of o.body) chunks.push(c);
    return (JSON.parse(Buffer.concat(chunks).toString("utf8")) as ManifestJson).encryption;
  } catch {
    return undefined;
  }
}

const record = (name: string, publishedMs: number, enc: ManifestEncryption | undefined): VersionRecord => ({
  version: shortVersion(name),
  digest: `sha256:${name}`,
  created: new Date(publishedMs).toISOString(),
  ...(enc?.keyId ? { keyId: enc.keyId } : {}),
  state: "Retained",
});

/** Shreds one version: its key (when the manifest names one in the store), then the manifest, then the rest. */
async function shredVersion(
  store: ObjectStore,
  prefix: string,
  name: string,
  keys: string[],
  shred: Shred | undefined,
): Promise<ManifestEncryption | undefined> {
  const manifest = joinKey(joinKey(prefix, name), MANIFEST);
  const enc = keys.includes(manifest) ? await encryptionOf(store, manifest) : undefined;
  if (enc?.keyId) {
    if (!shred) {
      throw new PrepareError(
        PrepareReason.InvalidSpec,
        `version ${shortVersion(name)} is encrypted with data key ${enc.keyId} in the key store, and this run has no Vault to shred it with; set LIFTOFF_VAULT_ADDR and LIFTOFF_DATASET`,
      );
    }
    await shred({ ...enc, keyId: enc.keyId }, name);
  }
  // The manifest first: a reader never finds a version whose files are half gone.
  await store.delete([manifest]);
  await store.delete(keys.filter((k) => k !== manifest));
  return enc;
}

/** Shreds the published versions past retention (never one in `keep`); every version seen, newest first. */
async function pruneS3(store: ObjectStore, prefix: string, o: PruneOptions): Promise<VersionRecord[]> {
  const all = [...(await versions(store, prefix)).entries()]
    .filter(([, v]) => v.published !== undefined)
    .map(([name, v]) => ({ name, publishedMs: v.published ?? 0, keys: v.keys }));
  all.sort((a, b) => b.publishedMs - a.publishedMs || (a.name < b.name ? -1 : 1));
  const now = o.now ?? Date.now();
  const doomed = new Map(versionsToDrop(all, o.policy, o.keep, now).map((d) => [d.name, d.reason]));
  const out: VersionRecord[] = [];
  for (const v of all) {
    const reason = doomed.get(v.name);
    if (reason === undefined) {
      const enc = await encryptionOf(store, joinKey(joinKey(prefix, v.name), MANIFEST));
      out.push(record(v.name, v.publishedMs, enc));
      continue;
    }
    const enc = await shredVersion(store, prefix, v.name, v.keys, o.shred);
    out.push(shreddedRecord(record(v.name, v.publishedMs, enc), reason, now));
  }
  return out;
}

/** Prunes the versions under prefix to the policy (the prune Job; nothing is published). */
export const pruneS3Versions = (store: ObjectStore, prefix: string, o: PruneOptions) => pruneS3(store, prefix, o);

/** Shreds every version (published or not) under prefix: the DataSet is being deleted. */
export async function removeAllS3Versions(store: ObjectStore, prefix: string, shred?: Shred): Promise<VersionRecord[]> {
  const all = [...(await versions(store, prefix)).entries()];
  const now = Date.now();
  const out: VersionRecord[] = [];
  for (const [name, v] of all) {
    const enc = await shredVersion(store, prefix, name, v.keys, shred);
    out.push(shreddedRecord(record(name, v.published ?? now, enc), ShredReason.Deleted, now));
  }
  return out;
}
