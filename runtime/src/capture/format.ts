// The capture version format: what a serving pod writes (serve/capture/) and a DataSet's `source.captured` reads
// (prepare/captured-source.ts). One module so writer and reader cannot drift apart.
//
//   <root>/<pod>/<version>/        version = <UTC yyyymmddThhmmssmmmZ>-<seq 6 digits>: names sort by time
//       records.parquet            (records.parquet.enc when encrypted: segments.ts, like DataSet files)
//       manifest.json              ManifestJson kind "Capture": sha256 + size of every file, the wrapped key; LAST
//
// A version exists once its manifest does: on a claim the folder is staged in <root>/<pod>/.staging-* and renamed,
// on an object store the manifest is uploaded after the data (storage/version-folder.ts). Readers skip a folder
// without manifest.json (a writer at work, or one that crashed) and refuse a file whose bytes do not match it.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { ARTIFACT_FORMAT_VERSION, type ManifestJson } from "../contract/artifacts.js";
import { hashTap } from "../crypto/hash-tap.js";
import { DEFAULT_SEGMENT_SIZE, DecryptionError, decryptingStream, encryptFile } from "../crypto/segments.js";
import type { ObjectStore } from "../storage/object-store.js";
import { downloadVersion, joinKey, uploadFolder } from "../storage/version-folder.js";

/** The columns a capture adds to the DataSet's schema columns and target. */
export const CAPTURE_COLUMNS = {
  prediction: "__prediction",
  predictionId: "__prediction_id",
  capturedAt: "__captured_at",
  track: "__track",
  modelDigest: "__model_digest",
} as const;

export interface CaptureVersion {
  pod: string;
  name: string;
  /** The local folder, or the object-store prefix (s3 variants). */
  dir: string;
  at: Date;
}

/** Encryption of a version being written: the plaintext data key (wiped by the caller) and its wrapped form. */
export interface CaptureEncryption {
  transitKey: string;
  dataKey: Buffer;
  wrappedKey: string;
}

/** Unwraps a version's data key (Vault transit decrypt). */
export type Unwrap = (transitKey: string, wrappedKey: string) => Promise<Buffer>;

/** A version that cannot be read: tampered, truncated, a manifest of another kind. */
export class CaptureFormatError extends Error {
  override name = "CaptureFormatError";
}

const MANIFEST = "manifest.json";
const PLAIN = "records.parquet";
const SEALED = "records.parquet.enc";
const VERSION = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-(\d{6})$/;
const POD = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

/** The version name for `now` and `seq` (pure). */
export function versionName(now: Date, seq: number): string {
  if (!Number.isInteger(seq) || seq < 0 || seq > 999_999) throw new RangeError("seq must be 0..999999");
  const iso = now.toISOString(); // 2026-12-06T20:19:36.123Z
  return `${iso.slice(0, 19).replace(/[-:]/g, "")}${iso.slice(20, 23)}Z-${String(seq).padStart(6, "0")}`;
}

/** When a version was written, from its name; undefined for a name that is not a version. */
export function versionTime(name: string): Date | undefined {
  const m = VERSION.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, ms] = m;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms));
  return Number.isNaN(t) ? undefined : new Date(t);
}

function checkPod(pod: string): void {
  if (!POD.test(pod)) throw new CaptureFormatError(`'${pod}' is not a pod name (a DNS subdomain)`);
}

async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const h = createHash("sha256");
  let size = 0;
  for await (const c of createReadStream(file)) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { sha256: h.digest("hex"), size };
}

/** Fills `folder` with the version's files: the Parquet (encrypted or not), then manifest.json. */
async function stageVersion(folder: string, parquetFile: string, enc: CaptureEncryption | undefined): Promise<void> {
  const rel = enc ? SEALED : PLAIN;
  if (enc) await encryptFile(parquetFile, path.join(folder, rel), enc.dataKey, rel);
  else await copyFile(parquetFile, path.join(folder, rel));
  const manifest: ManifestJson = {
    formatVersion: ARTIFACT_FORMAT_VERSION,
    kind: "Capture",
    files: [{ path: rel, ...(await sha256File(path.join(folder, rel))) }],
    ...(enc
      ? {
          encryption: {
            transitKey: enc.transitKey,
            wrappedKey: enc.wrappedKey,
            algorithm: "AES-256-GCM",
            segmentSize: DEFAULT_SEGMENT_SIZE,
          },
        }
      : {}),
  };
  await writeFile(path.join(folder, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Publishes parquetFile as a new version of <root>/<pod>/ (a claim): staged, then renamed into place. */
export async function writeCaptureVersion(
  root: string,
  pod: string,
  parquetFile: string,
  encryption: CaptureEncryption | undefined,
  seq: number,
  now: Date = new Date(),
): Promise<CaptureVersion> {
  checkPod(pod);
  const podDir = path.join(root, pod);
  const name = versionName(now, seq);
  const staging = path.join(podDir, `.staging-${randomBytes(8).toString("hex")}`);
  await mkdir(staging, { recursive: true });
  try {
    await stageVersion(staging, parquetFile, encryption);
    const dir = path.join(podDir, name);
    await rename(staging, dir);
    return { pod, name, dir, at: versionTime(name) as Date };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function dirs(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

const byTime = (a: CaptureVersion, b: CaptureVersion) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0;

/** Every complete version under root (a claim's folder), of every pod, oldest first. */
export async function listCaptureVersions(root: string): Promise<CaptureVersion[]> {
  const out: CaptureVersion[] = [];
  for (const pod of await dirs(root)) {
    if (!POD.test(pod)) continue;
    for (const name of await dirs(path.join(root, pod))) {
      const at = versionTime(name);
      if (at === undefined) continue;
      const dir = path.join(root, pod, name);
      const complete = await stat(path.join(dir, MANIFEST)).then(
        (s) => s.isFile(),
        () => false,
      );
      if (complete) out.push({ pod, name, dir, at });
    }
  }
  return out.sort(byTime);
}

/** The manifest of a version folder, checked: kind Capture, exactly one records file at a known path. */
function parseManifest(text: string, where: string): ManifestJson & { files: [ManifestJson["files"][number]] } {
  let m: ManifestJson;
  try {
    m = JSON.parse(text) as ManifestJson;
  } catch {
    throw new CaptureFormatError(`${where}: manifest.json is not JSON`);
  }
  if (m?.formatVersion !== ARTIFACT_FORMAT_VERSION || m.kind !== "Capture")
    throw new CaptureFormatError(
      `${where}: manifest.json is not a capture manifest of format ${ARTIFACT_FORMAT_VERSION}`,
    );
  const expected = m.encryption ? SEALED : PLAIN;
  const f = Array.isArray(m.files) && m.files.length === 1 ? m.files[0] : undefined;
  if (f?.path !== expected || typeof f.sha256 !== "string" || typeof f.size !== "number")
    throw new CaptureFormatError(`${where}: manifest.json must list exactly ${expected}`);
  return m as ManifestJson & { files: [ManifestJson["files"][number]] };
}

/** Verifies folder's records file against its manifest and writes the plaintext Parquet to `out`. */
async function verifiedPlaintext(folder: string, where: string, unwrap: Unwrap, out: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path.join(folder, MANIFEST), "utf8");
  } catch (err) {
    throw new CaptureFormatError(`${where}: no readable manifest.json (${(err as NodeJS.ErrnoException).code})`);
  }
  const m = parseManifest(text, where);
  const f = m.files[0];
  const src = path.join(folder, f.path);
  const hashed = hashTap();
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.part-${randomBytes(6).toString("hex")}`;
  let key: Buffer | undefined;
  try {
    if (m.encryption) {
      // Captures carry their wrapped key inline (they have no key store: the serving pods write them).
      key = await unwrap(m.encryption.transitKey, m.encryption.wrappedKey ?? "");
      await pipeline(createReadStream(src), hashed.tap, decryptingStream(key, f.path), createWriteStream(tmp));
    } else {
      await pipeline(createReadStream(src), hashed.tap, createWriteStream(tmp));
    }
    if (hashed.hex() !== f.sha256 || hashed.bytes() !== f.size)
      throw new CaptureFormatError(`${where}: ${f.path} does not match the sha256 in manifest.json; refusing it`);
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof DecryptionError)
      throw new CaptureFormatError(`${where}: ${f.path} fails authentication (${err.message}); refusing it`);
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new CaptureFormatError(`${where}: ${f.path} is missing; refusing the version`);
    throw err;
  } finally {
    key?.fill(0);
  }
}

/** The verified, decrypted records.parquet of a version (a claim's folder), as a file under `scratch`. */
export async function openCaptureVersion(v: CaptureVersion, unwrap: Unwrap, scratch: string): Promise<string> {
  const out = path.join(scratch, `capture-${v.pod}-${v.name}.parquet`);
  await verifiedPlaintext(v.dir, `capture version ${v.pod}/${v.name}`, unwrap, out);
  return out;
}

/** Deletes stale staging folders (a crashed write) of one pod folder older than `olderThanMs`. */
async function removeStaleStaging(podDir: string, olderThanMs: number, now: number): Promise<void> {
  for (const name of await dirs(podDir)) {
    if (!name.startsWith(".staging-")) continue;
    const s = await stat(path.join(podDir, name)).catch(() => undefined);
    if (s && now - s.mtimeMs >= olderThanMs) await rm(path.join(podDir, name), { recursive: true, force: true });
  }
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (e.isFile()) total += (await stat(path.join(dir, e.name)).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/**
 * Pruning of a claim's capture root: every pod's versions older than retentionHours (versions are immutable, so any
 * pod may delete them: a scaled-down pod's folder ages out too), then this pod's oldest versions while its folder
 * holds more than maxBytes (the newest version always stays). Returns the deleted versions and this pod's bytes.
 */
export async function pruneCaptureVersions(
  root: string,
  pod: string,
  limits: { maxBytes: number; retentionHours: number },
  now: Date = new Date(),
): Promise<{ deleted: CaptureVersion[]; bytes: number }> {
  checkPod(pod);
  const deleted: CaptureVersion[] = [];
  const cutoff = now.getTime() - limits.retentionHours * 3_600_000;
  const all = await listCaptureVersions(root);
  const mine: { v: CaptureVersion; bytes: number }[] = [];
  for (const v of all) {
    if (v.at.getTime() < cutoff) {
      await rm(v.dir, { recursive: true, force: true });
      deleted.push(v);
    } else if (v.pod === pod) mine.push({ v, bytes: await folderBytes(v.dir) });
  }
  let bytes = mine.reduce((s, m) => s + m.bytes, 0);
  for (const m of mine.slice(0, -1)) {
    if (bytes <= limits.maxBytes) break;
    await rm(m.v.dir, { recursive: true, force: true });
    deleted.push(m.v);
    bytes -= m.bytes;
  }
  await removeStaleStaging(path.join(root, pod), 3_600_000, now.getTime());
  return { deleted, bytes };
}

// ---- object storage (s3://bucket/prefix): the same layout under a key prefix -------------------------------------

/** Publishes parquetFile as a new version under <prefix>/<pod>/ on the store: data first, manifest last. */
export async function writeCaptureVersionS3(
  store: ObjectStore,
  prefix: string,
  pod: string,
  parquetFile: string,
  encryption: CaptureEncryption | undefined,
  seq: number,
  scratch: string,
  now: Date = new Date(),
): Promise<CaptureVersion> {
  checkPod(pod);
  const name = versionName(now, seq);
  const staging = path.join(scratch, `.capture-staging-${randomBytes(8).toString("hex")}`);
  await mkdir(staging, { recursive: true });
  try {
    await stageVersion(staging, parquetFile, encryption);
    const dir = joinKey(prefix, `${pod}/${name}`);
    await uploadFolder(staging, store, dir);
    return { pod, name, dir, at: versionTime(name) as Date };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Every complete version (a manifest.json object) under prefix on the store, oldest first. */
export async function listCaptureVersionsS3(store: ObjectStore, prefix: string): Promise<CaptureVersion[]> {
  const base = joinKey(prefix, "");
  const out: CaptureVersion[] = [];
  for await (const o of store.list(base)) {
    const parts = o.key.slice(base.length).split("/");
    if (parts.length !== 3 || parts[2] !== MANIFEST) continue;
    const [pod, name] = parts as [string, string];
    const at = versionTime(name);
    if (at !== undefined && POD.test(pod)) out.push({ pod, name, dir: joinKey(prefix, `${pod}/${name}`), at });
  }
  return out.sort(byTime);
}

/** The verified, decrypted records.parquet of a version on the store, as a file under `scratch`. */
export async function openCaptureVersionS3(
  store: ObjectStore,
  v: CaptureVersion,
  unwrap: Unwrap,
  scratch: string,
): Promise<string> {
  const local = path.join(scratch, `.capture-${v.pod}-${v.name}-${randomBytes(4).toString("hex")}`);
  try {
    await downloadVersion(store, v.dir, local);
    const out = path.join(scratch, `capture-${v.pod}-${v.name}.parquet`);
    await verifiedPlaintext(local, `capture version ${store.describe(v.dir)}`, unwrap, out);
    return out;
  } finally {
    await rm(local, { recursive: true, force: true });
  }
}

/** Deletes versions under prefix older than retentionHours, then this pod's oldest beyond maxBytes (as above). */
export async function pruneCaptureVersionsS3(
  store: ObjectStore,
  prefix: string,
  pod: string,
  limits: { maxBytes: number; retentionHours: number },
  now: Date = new Date(),
): Promise<{ deleted: CaptureVersion[]; bytes: number }> {
  checkPod(pod);
  const base = joinKey(prefix, "");
  const versions = new Map<string, { v: CaptureVersion; keys: string[]; bytes: number; complete: boolean }>();
  for await (const o of store.list(base)) {
    const parts = o.key.slice(base.length).split("/");
    if (parts.length !== 3) continue;
    const [p, name, file] = parts as [string, string, string];
    const at = versionTime(name);
    if (at === undefined || !POD.test(p)) continue;
    const id = `${p}/${name}`;
    const e = versions.get(id) ?? {
      v: { pod: p, name, dir: joinKey(prefix, id), at },
      keys: [],
      bytes: 0,
      complete: false,
    };
    e.keys.push(o.key);
    e.bytes += o.size;
    if (file === MANIFEST) e.complete = true;
    versions.set(id, e);
  }
  const cutoff = now.getTime() - limits.retentionHours * 3_600_000;
  const sorted = [...versions.values()].sort((a, b) => byTime(a.v, b.v));
  const doomed: typeof sorted = sorted.filter((e) => e.v.at.getTime() < cutoff);
  const mine = sorted.filter((e) => e.v.pod === pod && e.complete && e.v.at.getTime() >= cutoff);
  let bytes = mine.reduce((s, e) => s + e.bytes, 0);
  for (const e of mine.slice(0, -1)) {
    if (bytes <= limits.maxBytes) break;
    doomed.push(e);
    bytes -= e.bytes;
  }
  if (doomed.length > 0) await store.delete(doomed.flatMap((e) => e.keys));
  return { deleted: doomed.map((e) => e.v), bytes };
}
