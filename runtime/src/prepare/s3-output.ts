// A DataSet output on s3://bucket/prefix: prepare publishes the version in a local folder (scratch) as for a claim,
// then uploads it to <prefix>/<digest>/, every file first and manifest.json last, so the version exists only once
// complete. Retention works on the bucket as on a claim: the `retain` newest versions (by their manifest's time)
// and every version in use stay; `prepare --delete` removes every version. A crashed writer's objects (a folder
// without manifest) are removed at the next start.
import path from "node:path";
import type { ObjectStore } from "../storage/object-store.js";
import { joinKey, removeUnreferenced, uploadFolder } from "../storage/version-folder.js";

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
  retain: number,
  inUse: readonly string[] = [],
): Promise<{ uri: string; pruned: string[] }> {
  const digest = path.basename(dir);
  // The same content published before is uploaded again: its manifest's new time marks it the newest.
  await uploadFolder(dir, store, joinKey(prefix, digest));
  const pruned = await pruneS3(store, prefix, retain, [digest, ...inUse]);
  return { uri: store.describe(joinKey(prefix, digest)), pruned };
}

/** Deletes the published versions beyond the `retain` newest (never one in `keep`). */
async function pruneS3(
  store: ObjectStore,
  prefix: string,
  retain: number,
  keep: readonly string[] = [],
): Promise<string[]> {
  const all = [...(await versions(store, prefix)).entries()].filter(([, v]) => v.published !== undefined);
  all.sort(([a, va], [b, vb]) => (vb.published ?? 0) - (va.published ?? 0) || (a < b ? -1 : 1));
  const doomed = all.filter(([name], i) => i >= retain && !keep.includes(name));
  // The manifest first: a reader never finds a version whose files are half gone.
  for (const [name, v] of doomed) {
    await store.delete([joinKey(joinKey(prefix, name), MANIFEST)]);
    await store.delete(v.keys.filter((k) => !k.endsWith(`/${MANIFEST}`)));
  }
  return doomed.map(([name]) => name);
}

/** Removes every version (published or not) under prefix: the DataSet is being deleted. */
export async function removeAllS3Versions(store: ObjectStore, prefix: string): Promise<string[]> {
  const all = [...(await versions(store, prefix)).entries()];
  for (const [name, v] of all) {
    await store.delete([joinKey(joinKey(prefix, name), MANIFEST)]);
    await store.delete(v.keys);
  }
  return all.map(([name]) => name);
}
