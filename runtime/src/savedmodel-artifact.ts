/**
 * A TensorFlow SavedModel artifact: a folder (saved_model.pb, variables/, maybe assets/ and fingerprint.pb) on a
 * volume. libtensorflow loads from a path, not from bytes, so every file is streamed once through its sha256 into a
 * private copy (a fresh 0700 temp folder) and the session is built from that copy: the digest covers exactly the
 * bytes that are loaded, and a file swapped in the source folder after it was hashed cannot be served.
 *
 * Digest: sha256 over one `<sha256>  ./<path>` line per file, paths in byte order, i.e.
 *   (cd DIR && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum
 * so file names are covered as well as contents (two files' contents swapped give another digest).
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { type ModelLocation, notStaged } from "./artifact.js";
import { hashTap } from "./crypto/hash-tap.js";
import { ConfigError } from "./errors.js";

export interface SavedModelArtifact {
  kind: "savedmodel";
  /** The private copy the model is loaded from; remove() deletes it once the session is built. */
  dir: string;
  digest: string;
  bytes: number;
  files: number;
  remove(): Promise<void>;
}

/** Whether `--model-format auto` should read `loc` as a SavedModel: a folder with saved_model.pb and no model.json. */
export async function isSavedModelLocation(loc: ModelLocation): Promise<boolean> {
  if (loc.kind !== "file") return false;
  const has = async (name: string) => (await stat(path.join(loc.path, name)).catch(() => undefined))?.isFile() === true;
  return (await has("saved_model.pb")) && !(await has("model.json"));
}

/** Every regular file under `dir`, as relative paths with "/", in byte order; links and devices are refused. */
async function filesOf(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await filesOf(dir, r)));
    else if (e.isFile()) out.push(r);
    // A link could point anywhere on the node; what is loaded must be what is in the folder.
    else throw new ConfigError(`the SavedModel folder holds '${r}', which is not a regular file or folder`);
  }
  return out;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The SavedModel digest (see the file comment) of a folder, hashed in place: a model staged from object storage. */
export async function savedModelDigest(dir: string): Promise<string> {
  const digest = createHash("sha256");
  for (const f of (await filesOf(dir)).sort(byteOrder)) {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(path.join(dir, f))) hash.update(chunk as Buffer);
    digest.update(`${hash.digest("hex")}  ./${f}\n`);
  }
  return digest.digest("hex");
}

/** Streams `src` into `dst` (created, never overwritten) and returns the sha256 of the bytes written. */
async function copyHashed(src: string, dst: string): Promise<{ sha256: string; bytes: number }> {
  const hashed = hashTap();
  await pipeline(createReadStream(src), hashed.tap, createWriteStream(dst, { flags: "wx", mode: 0o600 }));
  return { sha256: hashed.hex(), bytes: hashed.bytes() };
}

/**
 * Copies and hashes the SavedModel folder at `loc`, checks the digest when expected, and returns the private copy.
 * Not a folder, no saved_model.pb, an http(s) location or a digest mismatch: a ConfigError (the copy is removed).
 */
export async function fetchSavedModelArtifact(
  loc: ModelLocation,
  expectedDigest: string | undefined,
  tmpRoot: string = tmpdir(),
): Promise<SavedModelArtifact> {
  if (loc.kind === "http") {
    throw new ConfigError(
      "a tf-savedmodel is a folder, which http(s) cannot list; put it on a volume (pvc://<claim>/<folder>)",
    );
  }
  if (loc.kind === "s3") throw notStaged(loc);
  const s = await stat(loc.path).catch(() => undefined);
  if (s === undefined) throw new ConfigError(`the model path does not exist: ${loc.path}`);
  if (!s.isDirectory()) {
    throw new ConfigError(
      `a tf-savedmodel is a folder (saved_model.pb + variables/), but ${loc.path} is a file; name its folder`,
    );
  }
  const files = (await filesOf(loc.path)).sort(byteOrder);
  if (!files.includes("saved_model.pb")) {
    throw new ConfigError(
      `the model folder is not a TensorFlow SavedModel: ${loc.path} has no saved_model.pb${files.includes("model.json") ? " (it has model.json: use format tfjs-layers or tfjs-graph)" : ""}`,
    );
  }
  const dir = await mkdtemp(path.join(tmpRoot, "liftoff-savedmodel-"));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    const digest = createHash("sha256");
    let bytes = 0;
    for (const f of files) {
      await mkdir(path.dirname(path.join(dir, f)), { recursive: true, mode: 0o700 });
      const got = await copyHashed(path.join(loc.path, f), path.join(dir, f));
      digest.update(`${got.sha256}  ./${f}\n`);
      bytes += got.bytes;
    }
    const hex = digest.digest("hex");
    if (expectedDigest !== undefined && hex !== expectedDigest) {
      throw new ConfigError(
        `model digest mismatch: expected sha256:${expectedDigest}, got sha256:${hex} (over the SavedModel folder's ${files.length} files); refusing to serve`,
      );
    }
    return { kind: "savedmodel", dir, digest: hex, bytes, files: files.length, remove };
  } catch (err) {
    await remove();
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(
      `cannot read the SavedModel folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}
