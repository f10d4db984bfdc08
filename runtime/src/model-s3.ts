/**
 * A model in object storage (s3://bucket/key) brought onto local disk before it is loaded: into the node cache entry
 * of its digest (a second replica or a restart on the node then downloads nothing), or a private scratch folder when
 * there is no cache. Every object is streamed to disk by the storage layer (runtime/src/storage/), hashed on the way
 * and checked against its own sha256 (object metadata) and, in a version folder, against manifest.json; the format's
 * loader then reads these local files as it reads a volume's and checks the model's digest on the bytes it loads.
 *
 * What the URI names:
 * - an object (s3://b/models/churn.onnx, …/model.gguf): that one file, kept under `fileName` (model.onnx, model.gguf:
 *   the names the node cache's entries use whatever the source);
 * - …/model.json, or a folder (s3://b/models/churn/ or a key with objects below it): every object under the folder
 *   (TF.js shards, manifest.json, preprocessing.json; a SavedModel's variables/).
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ManifestJson } from "./contract/artifacts.js";
import { StorageReason } from "./contract/storage-reasons.js";
import { type CacheEntry, CacheUnavailable, type ModelCache } from "./model-cache.js";
import { savedModelDigest } from "./savedmodel-artifact.js";
import { StorageError } from "./storage/errors.js";
import type { ObjectStore } from "./storage/object-store.js";

/** An s3:// model URI, parsed (contract/model-uri.ts). */
export interface S3Location {
  kind: "s3";
  uri: string;
  bucket: string;
  key: string;
}

/** The object store of a bucket, built from the pod's env (endpoint, region, keys from Vault or the AWS chain). */
export type StoreFor = (bucket: string) => Promise<ObjectStore>;

export interface StagedModel {
  /** The local file (an object) or folder (a prefix; its model.json when the URI named one) standing for the URI. */
  path: string;
  /** What the entry is named by: the pinned digest, else the object's sha256 or the folder's manifest/format digest. */
  digest: string;
  /** Whether the URI named one object: `digest` is then that file's sha256 (an ONNX or GGUF model's digest). */
  singleFile: boolean;
  bytes: number;
  /** Found in the node cache: nothing was downloaded. */
  cacheHit: boolean;
  downloadSeconds: number;
  /** Removes a scratch copy once the model is loaded (a cache entry stays). */
  release(): Promise<void>;
}

export interface StageOptions {
  store: StoreFor;
  cache?: ModelCache | undefined;
  /**
   * A single-file format (ONNX, GGUF): the name a single object is kept under (model.onnx, model.gguf), and a folder
   * is kept flat. Undefined: an object keeps its own name, a folder goes below the entry's top.
   */
  fileName?: string;
  warn?: (message: string) => void;
  /**
   * Files the declared processing reads beside a single object (a tokenizer, labels: relative to its folder), downloaded
   * with it; each is checked against its own pinned digest when read (serve/model/processing-files.ts).
   */
  beside?: string[];
}

type Shape = { kind: "object"; key: string; name: string } | { kind: "folder"; prefix: string; main?: string };

/** The sub-folder of a cache entry (or scratch folder) that holds a staged folder's files. */
const FOLDER = "model";

/** Largest manifest.json read to look the folder up in the cache before downloading it. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** Whether the URI names one object or a folder; neither (nothing at the key, nothing below it): StorageNotFound. */
async function shapeOf(store: ObjectStore, loc: S3Location, fileName: string | undefined): Promise<Shape> {
  const key = loc.key;
  if (key.endsWith("/")) return { kind: "folder", prefix: key.replace(/\/+$/, "") };
  const base = path.posix.basename(key);
  // model.json lists its weight files by relative path: its whole folder is the artifact.
  if (base === "model.json") return { kind: "folder", prefix: path.posix.dirname(key), main: base };
  if ((await store.head(key)) !== undefined) return { kind: "object", key, name: fileName ?? base };
  for await (const _ of store.list(`${key}/`)) return { kind: "folder", prefix: key };
  throw new StorageError(
    StorageReason.StorageNotFound,
    loc.uri,
    "no object at this key and nothing below it; check the bucket and key (upload the model, or fix spec.model.uri)",
  );
}

/** The digest to look the URI up by before downloading: pinned, else the object's or the manifest's sha256. */
async function lookupDigest(
  store: ObjectStore,
  shape: Shape,
  expected: string | undefined,
): Promise<string | undefined> {
  if (expected !== undefined) return expected;
  if (shape.kind === "object") return (await store.head(shape.key))?.sha256;
  const manifestKey = `${shape.prefix}/manifest.json`;
  const info = await store.head(manifestKey);
  if (info === undefined || info.size > MAX_MANIFEST_BYTES) return undefined;
  const opened = await store.open(manifestKey);
  const hash = createHash("sha256");
  for await (const chunk of opened.body) hash.update(chunk);
  return hash.digest("hex");
}

/** Stages the model at `loc` (see the file comment) and checks `expected` against the digests of what it holds. */
export async function stageS3Model(
  loc: S3Location,
  expected: string | undefined,
  o: StageOptions,
): Promise<StagedModel> {
  const store = await o.store(loc.bucket);
  const shape = await shapeOf(store, loc, o.fileName);
  // A TF.js or SavedModel folder goes one level down in the entry, beside (not among) the cache's record file: a
  // SavedModel's digest covers every file of its folder. A single-file format's folder (fileName set) stays at the
  // top, where the ONNX loader finds model.onnx in a cache entry (model-on-disk.ts).
  const nested = shape.kind === "folder" && o.fileName === undefined;
  const rootOf = (dir: string) => (nested ? path.join(dir, FOLDER) : dir);
  const local = (dir: string) =>
    shape.kind === "object"
      ? path.join(dir, shape.name)
      : shape.main
        ? path.join(rootOf(dir), shape.main)
        : rootOf(dir);
  const singleFile = shape.kind === "object";
  const beside = shape.kind === "object" ? (o.beside ?? []) : [];
  const kept = async () => undefined;
  let t0 = performance.now();
  const fill = async (dir: string) => {
    const root = rootOf(dir);
    const files = [...(await download(store, loc, shape, root)), ...(await downloadBeside(store, shape, beside, root))];
    const prefix = nested ? `${FOLDER}/` : "";
    return { digest: await entryDigest(loc, shape, root, files, expected), files: sizes(files, prefix) };
  };
  const seconds = () => (performance.now() - t0) / 1000;
  if (o.cache) {
    const digest = await lookupDigest(store, shape, expected);
    const hit = digest === undefined ? undefined : await o.cache.get(digest);
    if (hit && (await allThere(hit.dir, beside))) {
      return {
        path: local(hit.dir),
        digest: hit.digest,
        singleFile,
        bytes: hit.bytes,
        cacheHit: true,
        downloadSeconds: 0,
        release: kept,
      };
    }
    t0 = performance.now();
    // An entry another deployment of the same model filled without these side files: this load stages its own copy.
    if (hit) return scratch(fill, local, singleFile, seconds);
  }
  if (o.cache) {
    let entry: CacheEntry;
    try {
      entry = await o.cache.put(fill, expected);
    } catch (err) {
      if (!(err instanceof CacheUnavailable)) throw err;
      o.warn?.(`${err.message}; downloading ${loc.uri} into a private copy`);
      return scratch(fill, local, singleFile, seconds);
    }
    await o.cache.evict(entry.digest);
    return {
      path: local(entry.dir),
      digest: entry.digest,
      singleFile,
      bytes: entry.bytes,
      cacheHit: false,
      downloadSeconds: seconds(),
      release: kept,
    };
  }
  return scratch(fill, local, singleFile, seconds);
}

async function scratch(
  fill: (dir: string) => Promise<{ digest: string; files: Record<string, number> }>,
  local: (dir: string) => string,
  singleFile: boolean,
  seconds: () => number,
): Promise<StagedModel> {
  const dir = await mkdtemp(path.join(tmpdir(), "liftoff-s3-model-"));
  const release = () => rm(dir, { recursive: true, force: true });
  try {
    const filled = await fill(dir);
    const bytes = Object.values(filled.files).reduce((a, b) => a + b, 0);
    return {
      path: local(dir),
      digest: filled.digest,
      singleFile,
      bytes,
      cacheHit: false,
      downloadSeconds: seconds(),
      release,
    };
  } catch (err) {
    await release();
    throw err;
  }
}

/** Whether every one of `files` (relative) is in `dir`. */
async function allThere(dir: string, files: string[]): Promise<boolean> {
  for (const f of files) if ((await stat(path.join(dir, f)).catch(() => undefined))?.isFile() !== true) return false;
  return true;
}

/** The side files of a single object, from its folder in the bucket (checked later against their pinned digests). */
async function downloadBeside(store: ObjectStore, shape: Shape, beside: string[], dir: string): Promise<Got[]> {
  if (shape.kind !== "object" || beside.length === 0) return [];
  const folder = path.posix.dirname(shape.key);
  const files: Got[] = [];
  for (const rel of beside) {
    const dest = path.join(dir, ...rel.split("/"));
    await mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
    files.push({ rel, ...(await store.download(folder === "." ? rel : `${folder}/${rel}`, dest)) });
  }
  return files;
}

/** A downloaded file: its path relative to the staging folder, its sha256 and size. */
interface Got {
  rel: string;
  sha256: string;
  bytes: number;
}

function sizes(files: Got[], prefix: string): Record<string, number> {
  return Object.fromEntries(files.map((f) => [`${prefix}${f.rel}`, f.bytes]));
}

/** Downloads the object, or every object of the folder, into `dir` (each checked against its own sha256). */
async function download(store: ObjectStore, loc: S3Location, shape: Shape, dir: string): Promise<Got[]> {
  if (shape.kind === "object") {
    const got = await store.download(shape.key, path.join(dir, shape.name));
    return [{ rel: shape.name, ...got }];
  }
  const files: Got[] = [];
  for await (const info of store.list(`${shape.prefix}/`)) {
    const rel = info.key.slice(shape.prefix.length + 1);
    // Folder markers (keys ending in "/") hold nothing; a ".." segment would write outside the staging folder.
    if (rel === "" || rel.endsWith("/")) continue;
    if (rel.split("/").some((p) => p === ".." || p === "." || p === "")) {
      throw new StorageError(
        StorageReason.StorageTransferFailed,
        store.describe(info.key),
        "the key has an empty, '.' or '..' path segment, which cannot be a file of the model folder",
      );
    }
    const dest = path.join(dir, ...rel.split("/"));
    await mkdir(path.dirname(dest), { recursive: true, mode: 0o700 });
    files.push({ rel, ...(await store.download(info.key, dest)) });
  }
  if (files.length === 0) {
    throw new StorageError(StorageReason.StorageNotFound, loc.uri, "the folder holds no objects; check the URI");
  }
  return files;
}

/**
 * The digests the staged files can be pinned by, the one the format defines first: the object's sha256 (ONNX, GGUF);
 * for a folder manifest.json's sha256 (a trained artifact), the TF.js digest (model.json + shards), a SavedModel's
 * folder digest, model.onnx's or the one .gguf's sha256. A pinned digest that is none of them: StorageDigestMismatch.
 */
async function entryDigest(
  loc: S3Location,
  shape: Shape,
  dir: string,
  files: Got[],
  expected: string | undefined,
): Promise<string> {
  const candidates: string[] = [];
  const byRel = new Map(files.map((f) => [f.rel, f]));
  if (shape.kind === "object") {
    candidates.push((files[0] as Got).sha256);
  } else {
    const manifest = byRel.get("manifest.json");
    if (manifest) {
      candidates.push(manifest.sha256);
      await verifyManifest(loc, dir, byRel);
    }
    if (byRel.has("model.json")) {
      const tfjs = await tfjsDigest(dir).catch(() => undefined);
      if (tfjs) candidates.push(tfjs);
    }
    if (byRel.has("saved_model.pb")) candidates.push(await savedModelDigest(dir));
    const onnx = byRel.get("model.onnx");
    if (onnx) candidates.push(onnx.sha256);
    const ggufs = files.filter((f) => !f.rel.includes("/") && f.rel.endsWith(".gguf"));
    if (ggufs.length === 1) candidates.push((ggufs[0] as Got).sha256);
    // Any other folder: its files' digest as a SavedModel's is computed (names and contents), so it has a name.
    if (candidates.length === 0) candidates.push(await savedModelDigest(dir));
  }
  if (expected === undefined) return candidates[0] as string;
  if (candidates.includes(expected)) return expected;
  throw new StorageError(
    StorageReason.StorageDigestMismatch,
    loc.uri,
    `expected sha256:${expected}, got sha256:${candidates[0]}; refusing to serve (fix spec.model.digest, or upload the model it names)`,
  );
}

/** Every file manifest.json lists is in the folder with that sha256 (checked on the downloaded bytes). */
async function verifyManifest(loc: S3Location, dir: string, byRel: Map<string, Got>): Promise<void> {
  let manifest: ManifestJson;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as ManifestJson;
  } catch {
    throw new StorageError(StorageReason.StorageTransferFailed, `${loc.uri}/manifest.json`, "not valid JSON");
  }
  for (const f of manifest.files ?? []) {
    const got = byRel.get(f.path);
    if (got === undefined) {
      throw new StorageError(StorageReason.StorageNotFound, loc.uri, `${f.path}, listed in manifest.json, is missing`);
    }
    if (got.sha256 !== f.sha256) {
      throw new StorageError(
        StorageReason.StorageDigestMismatch,
        loc.uri,
        `${f.path} does not match its sha256 in manifest.json; refusing to serve`,
      );
    }
  }
}

/** The TF.js digest (artifact.ts): sha256 over model.json's bytes, then each weight file's in manifest order. */
async function tfjsDigest(dir: string): Promise<string> {
  const json = await readFile(path.join(dir, "model.json"));
  const model = JSON.parse(json.toString("utf8")) as { weightsManifest?: { paths: string[] }[] };
  const hash = createHash("sha256").update(json);
  for (const group of model.weightsManifest ?? []) {
    for (const p of group.paths) {
      const file = path.resolve(dir, p);
      if (!file.startsWith(dir + path.sep)) throw new Error("weight path leaves the folder");
      for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    }
  }
  return hash.digest("hex");
}
