// A pytorch run whose output is on s3://: the script checkpoints into a local folder as always, and worker 0
// uploads each checkpoint file as the script announces it (its event comes once the file is complete), with the
// epochs' history beside it, keeping the newest KEEP; every worker of a (re)started group first downloads the newest
// one, so the group resumes where the bucket says. The same shape as the TF.js trainer's (../s3-staging.ts), for
// one file per checkpoint instead of a folder.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { joinKey } from "../../storage/version-folder.js";
import type { S3Location } from "../s3-staging.js";

/** The package's checkpoint names (python/liftoff/checkpoints.py): epoch-<6 digits>.pt, oldest first by name. */
const CHECKPOINT = /^epoch-\d{6}\.pt$/;
const KEEP = 3;

async function remote(at: S3Location): Promise<string[]> {
  const base = joinKey(at.key, "");
  const names: string[] = [];
  for await (const o of at.store.list(base)) {
    const name = o.key.slice(base.length);
    if (CHECKPOINT.test(name)) names.push(name);
  }
  return names.sort();
}

/** Downloads the newest checkpoint and the history file into `localDir`; returns the checkpoint's name, if any. */
export async function restoreCheckpointFile(
  at: S3Location,
  localDir: string,
  historyFile: string,
): Promise<string | undefined> {
  const newest = (await remote(at)).at(-1);
  const local = (await readdir(localDir).catch(() => [] as string[])).filter((n) => CHECKPOINT.test(n)).sort();
  if (newest && (local.at(-1) ?? "") < newest) {
    await at.store.download(joinKey(at.key, newest), path.join(localDir, newest));
  }
  const history = path.basename(historyFile);
  if ((await at.store.head(joinKey(at.key, history))) !== undefined) {
    await at.store.download(joinKey(at.key, history), historyFile);
  }
  return newest;
}

/** Uploads one checkpoint file (then the history), and deletes the bucket's checkpoints beyond the newest KEEP. */
export async function uploadCheckpointFile(
  at: S3Location,
  localDir: string,
  name: string,
  historyFile: string,
): Promise<void> {
  await at.store.upload(path.join(localDir, name), joinKey(at.key, name));
  await at.store.upload(historyFile, joinKey(at.key, path.basename(historyFile)));
  const all = await remote(at);
  const doomed = all.slice(0, Math.max(0, all.length - KEEP));
  if (doomed.length > 0) await at.store.delete(doomed.map((n) => joinKey(at.key, n)));
}
