// A training run whose DataSet version, model output or checkpoints are on s3://: the version is downloaded to
// scratch (every file verified against the manifest's sha256), the run works on local folders as with a claim, each
// checkpoint is uploaded as it is written (state.json last: a checkpoint without it is incomplete and never read),
// and the published model folder is uploaded (manifest.json last). On start, the newest complete checkpoint in the
// bucket is downloaded, so a pod killed mid-run resumes where the bucket says.
import { mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { isS3Uri, openS3 } from "../s3-uri.js";
import type { ObjectStore } from "../storage/object-store.js";
import type { VaultReader } from "../storage/s3-client.js";
import { downloadVersion, joinKey, uploadFolder } from "../storage/version-folder.js";

/** A checkpoint folder's name (checkpoint.ts): ckpt-<epoch>-<batch>, so names sort oldest first. */
const CHECKPOINT = /^ckpt-\d{6}-\d{9}$/;
/** Written last: a checkpoint in the bucket is complete once it is there. */
const STATE = "state.json";
const CHECKPOINT_FILES = ["weights.bin", "optimizer.bin", STATE];

export interface S3Location {
  store: ObjectStore;
  key: string;
}

/** Opens an s3:// location (undefined for a local path): one client per URI, keys from Vault when the env says so. */
export async function maybeS3(
  uri: string,
  env: NodeJS.ProcessEnv,
  vault: () => Promise<VaultReader | undefined>,
): Promise<S3Location | undefined> {
  return isS3Uri(uri) ? openS3(uri, env, await vault()) : undefined;
}

/** Downloads the DataSet version at `at` into <scratch>/data/<digest>; returns that folder. */
export async function stageDataVersion(at: S3Location, scratch: string): Promise<string> {
  const dir = path.join(scratch, "data", path.posix.basename(at.key) || "version");
  await downloadVersion(at.store, at.key, dir);
  return dir;
}

/** Uploads the published model folder (named by its digest) to <prefix>/<digest>/; returns its s3:// URI. */
export async function uploadModel(at: S3Location, dir: string): Promise<string> {
  const prefix = joinKey(at.key, path.basename(dir));
  await uploadFolder(dir, at.store, prefix);
  return at.store.describe(prefix);
}

/** The complete checkpoints in the bucket, oldest first. */
async function remoteCheckpoints(at: S3Location): Promise<{ complete: string[]; keys: Map<string, string[]> }> {
  const base = joinKey(at.key, "");
  const keys = new Map<string, string[]>();
  const complete: string[] = [];
  for await (const o of at.store.list(base)) {
    const [name, file, ...more] = o.key.slice(base.length).split("/");
    if (!name || !file || more.length > 0 || !CHECKPOINT.test(name)) continue;
    keys.set(name, [...(keys.get(name) ?? []), o.key]);
    if (file === STATE) complete.push(name);
  }
  return { complete: complete.sort(), keys };
}

/**
 * Downloads the newest complete checkpoint from the bucket into the local checkpoint folder, unless one at least as
 * new is there already. Each file is verified against the sha256 the upload recorded (the trainer checks state.json's
 * digests again when it loads them). Returns the name, or undefined.
 */
export async function restoreFromBucket(at: S3Location, localDir: string): Promise<string | undefined> {
  const { complete } = await remoteCheckpoints(at);
  const newest = complete.at(-1);
  if (!newest) return undefined;
  const local = (await readdir(localDir).catch(() => [] as string[])).filter((n) => CHECKPOINT.test(n)).sort();
  if ((local.at(-1) ?? "") >= newest) return undefined;
  await mkdir(path.join(localDir, newest), { recursive: true });
  // download() verifies each object against the sha256 its upload recorded.
  for (const f of CHECKPOINT_FILES) {
    await at.store.download(joinKey(joinKey(at.key, newest), f), path.join(localDir, newest, f));
  }
  return newest;
}

/** Uploads one written checkpoint (state.json last), then deletes the bucket's checkpoints beyond the newest `keep`. */
export async function uploadCheckpoint(at: S3Location, localDir: string, name: string, keep: number): Promise<void> {
  const prefix = joinKey(at.key, name);
  for (const f of CHECKPOINT_FILES) await at.store.upload(path.join(localDir, name, f), joinKey(prefix, f));
  const { complete, keys } = await remoteCheckpoints(at);
  const doomed = complete.slice(0, Math.max(0, complete.length - keep));
  for (const old of doomed) {
    // state.json first: from then on the checkpoint counts as incomplete, whatever else is left.
    await at.store.delete([joinKey(joinKey(at.key, old), STATE)]);
    await at.store.delete((keys.get(old) ?? []).filter((k) => !k.endsWith(`/${STATE}`)));
  }
}
