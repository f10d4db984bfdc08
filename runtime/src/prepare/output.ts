// The version folder: files are staged in <out>/.staging-<random>/, described by manifest.json (sha256 and size of
// every file), and renamed to <out>/<sha256 of the manifest>/ only when complete, so a reader never sees half a
// version and the same content always lands in the same place. Older versions past the retention count are deleted.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { ARTIFACT_FORMAT_VERSION, type ManifestFile, type ManifestJson } from "../contract/artifacts.js";
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
  retain: number,
  /** Versions pruning keeps whatever their age (hex digests): TrainingJobs trained or train on them. */
  inUse: readonly string[] = [],
  known: KnownHashes = new Map(),
  /** ErasureRequest rewrites: what the version replaces (contract/artifacts.ts). */
  erasure?: ManifestJson["erasure"],
): Promise<{ digest: string; dir: string; manifest: ManifestJson }> {
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
  await prune(out, retain, [digest, ...inUse]);
  return { digest: `sha256:${digest}`, dir, manifest };
}

/** Deletes version folders beyond the `retain` newest (never one in `keep`), and stale staging folders. */
async function prune(out: string, retain: number, keep: readonly string[] = []): Promise<string[]> {
  const entries = await readdir(out, { withFileTypes: true });
  const versions = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && VERSION_NAME.test(e.name))
      .map(async (e) => ({ name: e.name, mtime: (await stat(path.join(out, e.name))).mtimeMs })),
  );
  versions.sort((a, b) => b.mtime - a.mtime || (a.name < b.name ? -1 : 1));
  const doomed = versions.filter((v, i) => i >= retain && !keep.includes(v.name)).map((v) => v.name);
  for (const name of doomed) await rm(path.join(out, name), { recursive: true, force: true });
  return doomed;
}

/** Removes every version and staging folder (the DataSet is being deleted), leaving the output folder itself. */
export async function removeAllVersions(out: string): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(out, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const names = entries
    .filter((e) => e.isDirectory() && (VERSION_NAME.test(e.name) || e.name.startsWith(".staging-")))
    .map((e) => e.name);
  for (const n of names) await rm(path.join(out, n), { recursive: true, force: true });
  return names;
}
