/**
 * The GGUF file llama.cpp loads, digest-checked: a local file (a folder: its only *.gguf) is hashed as a stream,
 * so a multi-GB model is never held in memory twice; an http(s) one is streamed through the egress-guarded reader
 * to a private scratch file, hashed as written. A file that is not GGUF is refused before llama.cpp sees it.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { ModelLocation } from "../../artifact.js";
import { ConfigError } from "../../errors.js";
import { fetchToDisk, type OnDiskOptions } from "../../model-on-disk.js";

export interface GgufFile {
  path: string;
  digest: string;
  bytes: number;
  /** Removes a temporary copy (a no-op for a local file). */
  cleanup(): Promise<void>;
}

const MAGIC = "GGUF";

async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function checkDigest(digest: string, expected: string | undefined): void {
  if (expected !== undefined && digest !== expected)
    throw new ConfigError(
      `model digest mismatch: expected sha256:${expected}, got sha256:${digest}; refusing to serve`,
    );
}

async function checkMagic(file: string): Promise<void> {
  const fh = await open(file, "r");
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4), 0, 4, 0);
    if (bytesRead < 4 || buffer.toString("latin1") !== MAGIC)
      throw new ConfigError(
        `the model file is not a GGUF file (it does not start with "GGUF"): ${path.basename(file)}`,
      );
  } finally {
    await fh.close();
  }
}

async function localFile(p: string): Promise<string> {
  const s = await stat(p).catch(() => undefined);
  if (s === undefined) throw new ConfigError(`the model path does not exist: ${p}`);
  if (!s.isDirectory()) return p;
  const ggufs = (await readdir(p)).filter((n) => n.endsWith(".gguf"));
  if (ggufs.length !== 1)
    throw new ConfigError(
      `the model folder ${p} holds ${ggufs.length} .gguf files; give the file itself in the model URI`,
    );
  return path.join(p, ggufs[0] as string);
}

export async function fetchGguf(
  loc: ModelLocation,
  expectedDigest: string | undefined,
  /** `fits`: refuses a model too large for the memory limit on its size, before a byte is streamed. */
  options: OnDiskOptions = {},
): Promise<GgufFile> {
  if (loc.kind === "file") {
    const file = await localFile(loc.path);
    options.fits?.((await stat(file)).size);
    const digest = await sha256File(file);
    checkDigest(digest, expectedDigest);
    await checkMagic(file);
    return { path: file, digest, bytes: (await stat(file)).size, cleanup: async () => {} };
  }
  // Streamed to a private scratch file, hashed as written (model-on-disk.ts): never held in memory.
  const fetched = await fetchToDisk(loc, "model.gguf", expectedDigest, options);
  const cleanup = () => fetched.release();
  try {
    await checkMagic(fetched.path);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { path: fetched.path, digest: fetched.digest, bytes: fetched.bytes, cleanup };
}
