// The DataSet version `train` reads, checked and (when encrypted) decrypted: manifest.json's digest must match the
// one the operator pinned, every file must match the manifest's sha256, and an encrypted version's files are
// decrypted with the data key that Vault transit unwraps (its wrapped form read from the DataSet's key store in
// Vault KV, runtime/src/crypto/version-keys.ts; a shredded version fails DataKeyShredded), into a memory-backed folder (the pod's `medium: Memory`
// emptyDir; /dev/shm locally), never next to the data on the claim. Plaintext and key live only in memory.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { access, mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ManifestJson } from "../contract/artifacts.js";
import { DecryptionError, decryptingStream } from "../crypto/segments.js";
import { openVersionKey, type VersionKeyOwner, type VersionKeyReader } from "../crypto/version-keys.js";
import { VaultError } from "../vault/errors.js";

/** What train needs from Vault (runtime/src/vault's client satisfies it). */
export interface KeyUnwrapper extends VersionKeyReader {
  close(): void;
}

/** A failure of the input, with the reason the TrainingJob's condition shows and whether a retry may pass. */
export class InputFailure extends Error {
  override name = "InputFailure";
  constructor(
    readonly reason: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

export interface DataSetInput {
  /** Folder with train/ validation/ test/ Parquet, preprocessing.json and stats.json in plaintext. */
  dir: string;
  /** "sha256:<hex>" of manifest.json. */
  digest: string;
  encrypted: boolean;
  /** Removes the decrypted copy (a no-op for a plaintext version). */
  dispose(): Promise<void>;
}

export interface InputOptions {
  /** The DataSet version folder. */
  data: string;
  /** The digest the operator pinned when the job started. */
  dataDigest?: string;
  /** Memory-backed folder for the plaintext of an encrypted version; default a fresh folder under /dev/shm. */
  plainDir?: string;
  /** The DataSet the version belongs to: where its data key is in the key store (the TrainingJob's namespace). */
  owner?: VersionKeyOwner | undefined;
  /** Logs in to Vault (called only for an encrypted version). */
  vault: () => Promise<KeyUnwrapper>;
  log: (message: string) => void;
}

const SHM = "/dev/shm";
export const RETRYABLE_VAULT = new Set(["VaultUnreachable", "VaultSealed"]);

const sha256Hex = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

/** Passes bytes through while hashing them (the manifest's sha256 is over the stored, encrypted bytes). */
function hashing(h: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      h.update(chunk);
      done(null, chunk);
    },
  });
}

const corrupt = (file: string, why: string) =>
  new InputFailure(
    "DataSetCorrupt",
    `the DataSet file ${file} ${why}; the version was changed or damaged after prepare published it: re-run the DataSet (a new generation) and create a new TrainingJob`,
  );

async function verifyFile(src: string, rel: string, sha256: string): Promise<void> {
  const h = createHash("sha256");
  try {
    for await (const chunk of createReadStream(src)) h.update(chunk as Buffer);
  } catch (err) {
    throw corrupt(rel, `cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`);
  }
  if (h.digest("hex") !== sha256) throw corrupt(rel, "does not match the sha256 in manifest.json");
}

async function decryptVerified(src: string, dst: string, rel: string, sha256: string, key: Buffer): Promise<void> {
  const h = createHash("sha256");
  try {
    await pipeline(createReadStream(src), hashing(h), decryptingStream(key, rel), createWriteStream(dst));
  } catch (err) {
    if (err instanceof DecryptionError) throw corrupt(rel, `fails authentication (${err.message})`);
    throw corrupt(rel, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (h.digest("hex") !== sha256) throw corrupt(rel, "does not match the sha256 in manifest.json");
}

/** A fresh folder for the decrypted copy, inside `plainDir` or else under /dev/shm. */
async function memoryFolder(plainDir: string | undefined): Promise<string> {
  if (plainDir) {
    await mkdir(plainDir, { recursive: true });
    return mkdtemp(path.join(plainDir, "dataset-"));
  }
  try {
    await access(SHM);
  } catch {
    throw new InputFailure(
      "InvalidSpec",
      `the DataSet is encrypted and ${SHM} does not exist here: pass --plain-dir <a memory-backed folder> for its decrypted copy`,
    );
  }
  return mkdtemp(path.join(SHM, "liftoff-train-"));
}

async function unwrap(o: InputOptions, enc: NonNullable<ManifestJson["encryption"]>): Promise<Buffer> {
  let vault: KeyUnwrapper | undefined;
  try {
    vault = await o.vault();
    return await openVersionKey(vault, enc, o.owner);
  } catch (err) {
    if (!(err instanceof VaultError)) throw err;
    throw new InputFailure(
      err.reason,
      `cannot unwrap the encrypted DataSet's data key (transit key ${enc.transitKey}): ${err.message}`,
      RETRYABLE_VAULT.has(err.reason),
    );
  } finally {
    vault?.close();
  }
}

/**
 * The version folder `data` names: itself when it holds manifest.json, else — prepare's --out folder given by hand —
 * its newest `<digest>/` version (prepare marks the version it publishes newest).
 */
async function versionFolder(data: string, log: (message: string) => void): Promise<string> {
  const has = (dir: string) =>
    access(path.join(dir, "manifest.json")).then(
      () => true,
      () => false,
    );
  if (await has(data)) return data;
  const entries = await readdir(data, { withFileTypes: true }).catch(() => []);
  const versions = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && /^[0-9a-f]{64}$/.test(e.name))
      .map(async (e) => ({ dir: path.join(data, e.name), mtime: (await stat(path.join(data, e.name))).mtimeMs })),
  );
  versions.sort((a, b) => b.mtime - a.mtime || (a.dir < b.dir ? -1 : 1));
  for (const v of versions) {
    if (await has(v.dir)) {
      log(`${data} is an output folder: training on its newest version ${v.dir}`);
      return v.dir;
    }
  }
  throw new InputFailure(
    "DataSetChanged",
    `the DataSet version at ${data} is gone (no manifest.json, no version folder below it); pass prepare's --out folder or one of its <digest>/ version folders`,
  );
}

export async function openDataSetInput(opts: InputOptions): Promise<DataSetInput> {
  const o = { ...opts, data: await versionFolder(opts.data, opts.log) };
  let manifestBytes: Buffer;
  try {
    manifestBytes = await readFile(path.join(o.data, "manifest.json"));
  } catch {
    throw new InputFailure("DataSetChanged", `the DataSet version at ${o.data} is gone (no manifest.json)`);
  }
  const digest = `sha256:${sha256Hex(manifestBytes)}`;
  if (o.dataDigest !== undefined && o.dataDigest !== digest) {
    throw new InputFailure(
      "DataSetChanged",
      `the DataSet's data changed since the job started (${o.dataDigest} → ${digest}); create a new TrainingJob`,
    );
  }
  let manifest: ManifestJson;
  try {
    manifest = JSON.parse(manifestBytes.toString("utf8")) as ManifestJson;
  } catch {
    throw corrupt("manifest.json", "is not JSON");
  }
  if (!Array.isArray(manifest.files)) throw corrupt("manifest.json", "lists no files");
  for (const f of manifest.files) {
    // Paths come from the data: keep every file inside the version folder.
    if (path.isAbsolute(f.path) || f.path.split("/").includes("..")) throw corrupt(f.path, "has an unsafe path");
  }
  const enc = manifest.encryption;
  if (enc === undefined) {
    for (const f of manifest.files) await verifyFile(path.join(o.data, f.path), f.path, f.sha256);
    return { dir: o.data, digest, encrypted: false, dispose: async () => undefined };
  }
  if (enc.algorithm !== "AES-256-GCM") {
    throw new InputFailure("InvalidSpec", `the DataSet is encrypted with ${enc.algorithm}; train reads AES-256-GCM`);
  }
  const plain = await memoryFolder(o.plainDir);
  const dispose = () => rm(plain, { recursive: true, force: true });
  try {
    const key = await unwrap(o, enc);
    try {
      for (const f of manifest.files) {
        if (!f.path.endsWith(".enc"))
          throw corrupt(f.path, "is not encrypted although manifest.json says the version is");
        const dst = path.join(plain, f.path.slice(0, -".enc".length));
        await mkdir(path.dirname(dst), { recursive: true });
        await decryptVerified(path.join(o.data, f.path), dst, f.path, f.sha256, key);
      }
    } finally {
      key.fill(0);
    }
    o.log(`decrypted ${manifest.files.length} files of the DataSet (transit key ${enc.transitKey}) into memory`);
    return { dir: plain, digest, encrypted: true, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
