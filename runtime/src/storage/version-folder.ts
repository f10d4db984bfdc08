// A version folder (a DataSet version, a model artifact, a checkpoint) on an object store. The version exists once
// its manifest.json does: a writer uploads every other object first and the manifest last, so a reader never sees
// half a version; a reader downloads the manifest, then every file it lists, each verified against the manifest's
// sha256, into a staging folder renamed into place only when all are there. A crashed writer leaves objects without
// a manifest, which removeUnreferenced deletes once they are old enough not to be a writer still at work.
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { ManifestFile, ManifestJson } from "../contract/artifacts.js";
import { StorageReason } from "../contract/storage-reasons.js";
import { StorageError } from "./errors.js";
import type { ObjectStore } from "./object-store.js";

export type { ManifestJson };

const MANIFEST = "manifest.json";

/** prefix + "/" + rel, without doubled or leading slashes ("" prefix: the bucket's root). */
export function joinKey(prefix: string, rel: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, "");
  return p === "" ? rel : `${p}/${rel}`;
}

/** Every file under dir, relative and `/`-separated, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) out.push(path.relative(dir, full).split(path.sep).join("/"));
    }
  };
  await walk(dir);
  return out.sort();
}

/** The manifest's files by path, when localDir has a readable manifest (their sha256 saves hashing them twice). */
async function listedSha256(localDir: string): Promise<Map<string, string>> {
  try {
    const m = JSON.parse(await readFile(path.join(localDir, MANIFEST), "utf8")) as ManifestJson;
    return new Map((m.files ?? []).map((f) => [f.path, f.sha256]));
  } catch {
    return new Map();
  }
}

/** Uploads every file under localDir to <prefix>/<relative path>, manifest.json last (if present). */
export async function uploadFolder(localDir: string, store: ObjectStore, prefix: string): Promise<void> {
  const files = await filesUnder(localDir);
  const known = await listedSha256(localDir);
  // One at a time: each upload already runs its parts in parallel within the memory budget.
  for (const rel of files.filter((f) => f !== MANIFEST)) {
    const sha256 = known.get(rel);
    await store.upload(path.join(localDir, rel), joinKey(prefix, rel), sha256 ? { sha256 } : {});
  }
  if (files.includes(MANIFEST)) {
    await store.upload(path.join(localDir, MANIFEST), joinKey(prefix, MANIFEST), { contentType: "application/json" });
  }
}

/** A manifest path is relative, `/`-separated and stays inside the folder (a hostile manifest cannot write elsewhere). */
function safeRelative(p: unknown): p is string {
  if (typeof p !== "string" || p === "" || p.startsWith("/") || p.includes("\\") || p.includes("\0")) return false;
  return p.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

function badManifest(uri: string, why: string): StorageError {
  return new StorageError(StorageReason.StorageDigestMismatch, uri, `the manifest ${why}; refusing the version`);
}

/**
 * Reads <prefix>/manifest.json, downloads every file it lists into localDir verifying its sha256 and size, then
 * writes the manifest there too; returns the parsed manifest and its sha256 (hex: the version's digest). The files
 * land in a staging folder beside localDir that replaces it only when all are verified, so a failure leaves nothing
 * at localDir. Missing manifest → StorageNotFound ("no version at …").
 */
export async function downloadVersion(
  store: ObjectStore,
  prefix: string,
  localDir: string,
): Promise<{ manifest: ManifestJson; manifestSha256: string }> {
  const manifestKey = joinKey(prefix, MANIFEST);
  const uri = store.describe(manifestKey);
  if ((await store.head(manifestKey)) === undefined) {
    throw new StorageError(
      StorageReason.StorageNotFound,
      store.describe(joinKey(prefix, "")),
      `no version here (no ${MANIFEST}): the URI names no version, or its writer has not finished`,
    );
  }
  const staging = `${localDir.replace(/\/+$/, "")}.staging-${randomBytes(6).toString("hex")}`;
  await mkdir(staging, { recursive: true });
  try {
    const got = await store.download(manifestKey, path.join(staging, MANIFEST));
    const bytes = await readFile(path.join(staging, MANIFEST));
    const manifestSha256 = createHash("sha256").update(bytes).digest("hex");
    if (manifestSha256 !== got.sha256) throw badManifest(uri, "changed on disk while being read");
    let manifest: ManifestJson;
    try {
      manifest = JSON.parse(bytes.toString("utf8")) as ManifestJson;
    } catch {
      throw badManifest(uri, "is not JSON");
    }
    if (!Array.isArray(manifest.files)) throw badManifest(uri, "lists no files");
    for (const f of manifest.files as ManifestFile[]) {
      if (!safeRelative(f.path) || f.path === MANIFEST)
        throw badManifest(uri, `names an unsafe path '${String(f.path).slice(0, 80)}'`);
      if (typeof f.sha256 !== "string") throw badManifest(uri, `gives no sha256 for ${f.path}`);
      const key = joinKey(prefix, f.path);
      const r = await store.download(key, path.join(staging, ...f.path.split("/")), { expectedSha256: f.sha256 });
      if (typeof f.size === "number" && r.bytes !== f.size) {
        throw new StorageError(
          StorageReason.StorageDigestMismatch,
          store.describe(key),
          `has ${r.bytes} bytes, the manifest says ${f.size}; refusing the version`,
        );
      }
    }
    await rm(localDir, { recursive: true, force: true });
    await mkdir(path.dirname(localDir), { recursive: true });
    await rename(staging, localDir);
    return { manifest, manifestSha256 };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Deletes the objects of every version folder directly under prefix (<prefix>/<name>/…) that has no manifest.json
 * and whose newest object is at least olderThanMs old: what a crashed writer left. A folder with a manifest, a folder
 * still being written (a recent object), and objects directly under prefix are kept. Returns the deleted keys.
 * Parts of multipart uploads a crash left unfinished are not objects: a bucket lifecycle rule
 * (AbortIncompleteMultipartUpload) removes those (docs/storage.md).
 */
export async function removeUnreferenced(store: ObjectStore, prefix: string, olderThanMs: number): Promise<string[]> {
  const base = joinKey(prefix, "");
  const folders = new Map<string, { keys: string[]; newest: number; manifest: boolean }>();
  for await (const o of store.list(base)) {
    const rest = o.key.slice(base.length);
    const slash = rest.indexOf("/");
    if (slash <= 0) continue;
    const name = rest.slice(0, slash);
    const f = folders.get(name) ?? { keys: [], newest: 0, manifest: false };
    f.keys.push(o.key);
    f.newest = Math.max(f.newest, o.lastModified?.getTime() ?? Number.POSITIVE_INFINITY);
    if (rest.slice(slash + 1) === MANIFEST) f.manifest = true;
    folders.set(name, f);
  }
  const cutoff = Date.now() - olderThanMs;
  const doomed = [...folders.values()].filter((f) => !f.manifest && f.newest <= cutoff).flatMap((f) => f.keys);
  if (doomed.length > 0) await store.delete(doomed);
  return doomed;
}
