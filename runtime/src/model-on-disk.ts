/**
 * A single-file model (ONNX) brought onto local disk: from the node cache when its pinned digest is there, else
 * streamed into a cache entry (or, with no cache, a private scratch folder), hashed as written. The path returned is
 * the file whose bytes were hashed — the session is built from it, with no earlier copy and no second read of the
 * source — and nothing of it is held in memory on the way.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FetchOptions, ModelLocation } from "./artifact.js";
import { type OpenedFile, openModelFile, writeHashed } from "./artifact-stream.js";
import { ConfigError } from "./errors.js";
import { type CacheEntry, CacheUnavailable, type ModelCache } from "./model-cache.js";

export interface OnDiskModel {
  /** The model file, inside a cache entry or a scratch folder. */
  path: string;
  /** Lower-case hex sha256 of that file. */
  digest: string;
  bytes: number;
  /** Found in the node cache: nothing was fetched. */
  cacheHit: boolean;
  /** Removes a scratch copy once the model is loaded (a cache entry stays). */
  release(): Promise<void>;
}

export interface OnDiskOptions extends FetchOptions {
  cache?: ModelCache | undefined;
  /** Throws when a model of this many bytes cannot be loaded (memory-fit.ts); called before streaming when the size is known. */
  fits?: (bytes: number) => void;
  /** Told when the cache cannot be written and the model goes to a scratch copy instead (the pod still serves). */
  warn?: (message: string) => void;
}

/** Streams the location's `fileName` (model.onnx for a folder) to disk and checks `expectedDigest` on those bytes. */
export async function fetchToDisk(
  loc: ModelLocation,
  fileName: string,
  expectedDigest: string | undefined,
  o: OnDiskOptions = {},
): Promise<OnDiskModel> {
  const fits = o.fits ?? (() => undefined);
  const kept = async () => undefined;
  if (o.cache && expectedDigest !== undefined) {
    const hit = await o.cache.get(expectedDigest);
    if (hit) {
      fits(hit.bytes);
      return {
        path: path.join(hit.dir, fileName),
        digest: hit.digest,
        bytes: hit.bytes,
        cacheHit: true,
        release: kept,
      };
    }
  }
  const file = await openModelFile(loc, fileName, o);
  try {
    if (file.declaredBytes !== undefined) fits(file.declaredBytes);
  } catch (err) {
    file.cancel();
    throw err;
  }
  if (o.cache) {
    let entry: CacheEntry;
    try {
      entry = await o.cache.put(async (tmp) => {
        const w = await writeHashed(file, path.join(tmp, fileName));
        if (file.declaredBytes === undefined) fits(w.bytes);
        return { digest: w.digest, files: { [fileName]: w.bytes } };
      }, expectedDigest);
    } catch (err) {
      if (!(err instanceof CacheUnavailable)) throw err;
      o.warn?.(`${err.message}; using a private copy`);
      return scratchCopy(file, fileName, expectedDigest, fits);
    }
    await o.cache.evict(entry.digest);
    return {
      path: path.join(entry.dir, fileName),
      digest: entry.digest,
      bytes: entry.bytes,
      cacheHit: false,
      release: kept,
    };
  }
  return scratchCopy(file, fileName, expectedDigest, fits);
}

async function scratchCopy(
  file: OpenedFile,
  fileName: string,
  expectedDigest: string | undefined,
  fits: (bytes: number) => void,
): Promise<OnDiskModel> {
  const dir = await mkdtemp(path.join(tmpdir(), "liftoff-model-"));
  const release = () => rm(dir, { recursive: true, force: true });
  try {
    const target = path.join(dir, fileName);
    const w = await writeHashed(file, target);
    if (file.declaredBytes === undefined) fits(w.bytes);
    if (expectedDigest !== undefined && w.digest !== expectedDigest) {
      throw new ConfigError(
        `model digest mismatch: expected sha256:${expectedDigest}, got sha256:${w.digest}; refusing to serve`,
      );
    }
    return { path: target, digest: w.digest, bytes: w.bytes, cacheHit: false, release };
  } catch (err) {
    await release();
    throw err;
  }
}
