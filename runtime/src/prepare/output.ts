// The version folder: files are staged in <out>/.staging-<random>/, described by manifest.json (sha256 and size of
// every file), and renamed to <out>/<sha256 of the manifest>/ only when complete, so a reader never sees half a
// version and the same content always lands in the same place. Versions past retention are shredded: their data key
// destroyed in Vault first (when the manifest names one in the key store), then their folder deleted.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  ARTIFACT_FORMAT_VERSION,
  type ManifestEncryption,
  type ManifestFile,
  type ManifestJson,
} from "../contract/artifacts.js";
import {
  type RetentionPolicy,
  ShredReason,
  type ShredReasonName,
  shortVersion,
  type VersionRecord,
  versionsToDrop,
} from "../contract/retention.js";
import { PrepareError, PrepareReason } from "./errors.js";

export const VERSION_NAME = /^[0-9a-f]{64}$/;

export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest("hex");
}

export async function createStaging(out: string): Promise<string> {
  const dir = path.join(out, `.staging-${randomBytes(8).toString("hex")}`);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new PrepareError(
      PrepareReason.OutputNotWritable,
      `cannot write to the output folder ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; check the claim is bound and writable by the pod's user`,
    );
  }
  return dir;
}

/** sha256 (hex) and size of a staged file whose writer hashed it on the way, by its path in the version. */
export type KnownHashes = Map<string, { sha256: string; size: number }>;

/**
 * Lists the staged files (sorted), writes manifest.json, and publishes the folder under its digest. Files in `known`
 * are not read again.
 */
export async function publish(
  out: string,
  staging: string,
  encryption: ManifestJson["encryption"],
  /** Retention after publishing; `keep` are versions pruning keeps whatever their age (TrainingJobs use them). */
  prune: Omit<PruneOptions, "now">,
  known: KnownHashes = new Map(),
  /** ErasureRequest rewrites: what the version replaces (contract/artifacts.ts). */
  erasure?: ManifestJson["erasure"],
): Promise<{ digest: string; dir: string; manifest: ManifestJson; versions: VersionRecord[] }> {
  const files: ManifestFile[] = [];
  const walk = async (dir: string) => {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else {
        const rel = path.relative(staging, full).split(path.sep).join("/");
        const k = known.get(rel);
        files.push(
          k ? { path: rel, ...k } : { path: rel, sha256: await sha256File(full), size: (await stat(full)).size },
        );
      }
    }
  };
  await walk(staging);
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const manifest: ManifestJson = {
    formatVersion: ARTIFACT_FORMAT_VERSION,
    kind: "DataSet",
    files,
    ...(encryption ? { encryption } : {}),
    ...(erasure ? { erasure } : {}),
  };
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  const digest = createHash("sha256").update(text).digest("hex");
  await writeFile(path.join(staging, "manifest.json"), text);
  const dir = path.join(out, digest);
  try {
    await rename(staging, dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
    // The same content was published before: keep that copy, mark it newest.
    await rm(staging, { recursive: true, force: true });
  }
  const now = new Date();
  await utimes(dir, now, now);
  const versions = await pruneVersions(out, { ...prune, keep: [digest, ...prune.keep] });
  return { digest: `sha256:${digest}`, dir, manifest, versions };
}

/** Destroys a version's data key in the key store (version-keys.ts shredVersionKey); `version` is its hex name. */
export type Shred = (encryption: ManifestEncryption & { keyId: string }, version: string) => Promise<void>;

export interface PruneOptions {
  policy: RetentionPolicy;
  /** Versions (hex) kept whatever their age or rank. */
  keep: readonly string[];
  /** Needed as soon as a dropped version's manifest names a keyId: without it the prune fails, deleting nothing. */
  shred?: Shred | undefined;
  /** ms since the epoch (tests). */
  now?: number;
}

/** A version folder's manifest encryption block; undefined when it has none or no readable manifest. */
async function encryptionOf(dir: string): Promise<ManifestEncryption | undefined> {
  try {
    return (JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as ManifestJson).encryption;
  } catch {
    return undefined;
  }
}

const record = (
  name: string,
  publishedMs: number,
  enc: ManifestEncryption | undefined,
  state: VersionRecord["state"],
): VersionRecord => ({
  version: shortVersion(name),
  digest: `sha256:${name}`,
  created: new Date(publishedMs).toISOString(),
  ...(enc?.keyId ? { keyId: enc.keyId } : {}),
  state,
});

/**
 * Shreds the versions past retention (never one in `keep`): key first, then files, so a crash in between leaves
 * undecryptable files, never a readable version without its key record. Returns every version it saw, newest
 * first: the ones kept as Retained, the ones dropped as Shredded with the reason.
 */
export async function pruneVersions(out: string, o: PruneOptions): Promise<VersionRecord[]> {
  const entries = await readdir(out, { withFileTypes: true });
  const versions = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && VERSION_NAME.test(e.name))
      .map(async (e) => ({ name: e.name, publishedMs: (await stat(path.join(out, e.name))).mtimeMs })),
  );
  versions.sort((a, b) => b.publishedMs - a.publishedMs || (a.name < b.name ? -1 : 1));
  const now = o.now ?? Date.now();
  const doomed = new Map(versionsToDrop(versions, o.policy, o.keep, now).map((d) => [d.name, d.reason]));
  const records: VersionRecord[] = [];
  for (const v of versions) {
    const dir = path.join(out, v.name);
    const enc = await encryptionOf(dir);
    const reason = doomed.get(v.name);
    if (reason === undefined) {
      records.push(record(v.name, v.publishedMs, enc, "Retained"));
      continue;
    }
    await shredFolder(dir, v.name, enc, o.shred);
    records.push(shreddedRecord(record(v.name, v.publishedMs, enc, "Shredded"), reason, now));
  }
  return records;
}

/** A version's record once shredded, now, for `reason`. */
export const shreddedRecord = (r: VersionRecord, reason: ShredReasonName, nowMs: number): VersionRecord => ({
  ...r,
  state: "Shredded",
  shredded: new Date(nowMs).toISOString(),
  reason,
});

async function shredFolder(
  dir: string,
  name: string,
  enc: ManifestEncryption | undefined,
  shred: Shred | undefined,
): Promise<void> {
  if (enc?.keyId) {
    if (!shred) {
      throw new PrepareError(
        PrepareReason.InvalidSpec,
        `version ${shortVersion(name)} is encrypted with data key ${enc.keyId} in the key store, and this run has no Vault to shred it with; set LIFTOFF_VAULT_ADDR and LIFTOFF_DATASET`,
      );
    }
    await shred({ ...enc, keyId: enc.keyId }, name);
  }
  await rm(dir, { recursive: true, force: true });
}

/**
 * Removes every version and staging folder (the DataSet is being deleted), leaving the output folder itself; each
 * version's data key is shredded first.
 */
export async function removeAllVersions(out: string, shred?: Shred): Promise<VersionRecord[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(out, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const records: VersionRecord[] = [];
  const now = Date.now();
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const dir = path.join(out, e.name);
    if (e.name.startsWith(".staging-")) await rm(dir, { recursive: true, force: true });
    if (!VERSION_NAME.test(e.name)) continue;
    const [enc, st] = await Promise.all([encryptionOf(dir), stat(dir)]);
    await shredFolder(dir, e.name, enc, shred);
    records.push(shreddedRecord(record(e.name, st.mtimeMs, enc, "Shredded"), ShredReason.Deleted, now));
  }
  return records;
}
