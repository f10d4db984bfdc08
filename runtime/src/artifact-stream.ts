/**
 * Large model files reach disk as a stream: each chunk is hashed and written as it arrives, so the model is never
 * held whole in memory and the digest is the digest of the bytes on disk, which are then what is loaded (by path).
 * Small metadata files keep artifact.ts's readOnce path.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { type FetchOptions, type ModelLocation, notStaged } from "./artifact.js";
import { ConfigError } from "./errors.js";
import { CLOSED, EgressError } from "./net/egress.js";
import { egressGet, FetchFailed, shownUrl } from "./net/egress-request.js";

export interface Written {
  /** Lower-case hex sha256 of the bytes written. */
  digest: string;
  bytes: number;
}

/** A model file opened for streaming, with its size when known before reading (Content-Length, stat). */
export interface OpenedFile {
  chunks: AsyncIterable<Uint8Array>;
  declaredBytes: number | undefined;
  /** Closes the source without reading it (a refusal before streaming). */
  cancel(): void;
}

/**
 * Opens one model file: a local path (a pvc:// claim or a file) or an http(s) URL through the egress guard. `name`
 * is the file inside a folder location (e.g. model.onnx); a location naming the file itself ignores it.
 */
export async function openModelFile(loc: ModelLocation, name: string, o: FetchOptions = {}): Promise<OpenedFile> {
  if (loc.kind === "http") {
    const options = { policy: o.egress ?? CLOSED, timeoutMs: o.timeoutMs ?? 60 * 60_000 };
    try {
      const res = await egressGet(loc.url, options);
      if (!res.ok) {
        res.cancel();
        throw new ConfigError(`cannot fetch ${shownUrl(loc.url)}: HTTP ${res.status}`);
      }
      return { chunks: res.body, declaredBytes: res.declaredLength, cancel: () => res.cancel() };
    } catch (err) {
      if (err instanceof ConfigError || err instanceof EgressError) throw err;
      const detail = err instanceof FetchFailed ? err.detail : (err as Error).message;
      throw new ConfigError(`cannot fetch ${shownUrl(loc.url)}: ${detail}`);
    }
  }
  if (loc.kind === "s3") throw notStaged(loc);
  const s = await stat(loc.path).catch(() => undefined);
  if (s === undefined) throw new ConfigError(`the model path does not exist: ${loc.path}`);
  const file = s.isDirectory() ? path.join(loc.path, name) : loc.path;
  const fs = s.isDirectory() ? await stat(file).catch(() => undefined) : s;
  if (fs === undefined || !fs.isFile()) throw new ConfigError(`cannot read ${name} of the model: ENOENT`);
  const stream = createReadStream(file);
  return { chunks: stream, declaredBytes: fs.size, cancel: () => stream.destroy() };
}

/**
 * Writes the chunks to `dest` (which must not exist: `wx`) and hashes the same chunks on the way. A source that
 * sends more than it declared is cut off: the declared size is what the memory check was made against.
 */
export async function writeHashed(file: OpenedFile, dest: string): Promise<Written> {
  const hash = createHash("sha256");
  let bytes = 0;
  const limit = file.declaredBytes;
  try {
    await pipeline(
      file.chunks,
      async function* (source: AsyncIterable<Uint8Array>) {
        for await (const chunk of source) {
          bytes += chunk.byteLength;
          if (limit !== undefined && bytes > limit) {
            throw new ConfigError(`the model file is larger than its declared ${limit} bytes`);
          }
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(dest, { flags: "wx", mode: 0o600 }),
    );
  } catch (err) {
    file.cancel();
    if (err instanceof ConfigError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(`cannot stream the model to disk: ${e.code ?? e.message}`);
  }
  if (limit !== undefined && bytes < limit) {
    throw new ConfigError(`the model file ended after ${bytes} of its declared ${limit} bytes`);
  }
  return { digest: hash.digest("hex"), bytes };
}
