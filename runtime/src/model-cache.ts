/**
 * The node-local model cache: one folder per artifact digest under the cache root (a hostPath the node's pods share,
 * or the pod's own emptyDir: docs/modeldeployment.md "Model cache"), so a second replica or a restart on the same
 * node loads the model without fetching it again.
 *
 * - Written atomically: a fresh `.tmp-*` folder is filled and checked, then renamed to `<digest>`; a reader never sees
 *   half an entry, and two replicas filling the same digest at once both end with one whole entry.
 * - Re-verified cheaply on each hit: every file's size against the entry's record, not a full re-hash. The digest was
 *   checked on the bytes as they were written into this folder, which only serving pods write; re-hashing a
 *   multi-GB model on each start would cost seconds to minutes and miss the warm-start target (≤ 3 s), while
 *   anyone who can write the node's cache folder could as well replace the runtime image. A damaged entry (a size
 *   differs, a file or the record is missing) is removed and fetched again.
 * - Evicted least recently used first (the record's mtime, refreshed on each hit) while the entries' total exceeds the
 *   configured bound; the entry being loaded is never evicted.
 */
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { ConfigError } from "./errors.js";

/** The entry's record of what it holds, written last into the temp folder before the rename. */
const RECORD = ".liftoff-entry.json";
const TMP_PREFIX = ".tmp-";
/** A temp folder this old was left by a pod that died while filling it. */
const STALE_TMP_MS = 60 * 60_000;
const DIGEST = /^[0-9a-f]{64}$/;

export interface CacheEntry {
  /** The entry's folder: the model's files are inside it, by their own names. */
  dir: string;
  digest: string;
  bytes: number;
  /** True when this load found the entry already there (no fetch). */
  hit: boolean;
}

interface EntryRecord {
  digest: string;
  bytes: number;
  /** File name (relative to the entry) → size in bytes. */
  files: Record<string, number>;
}

/** What a fill wrote into the temp folder: the digest of the artifact and each file's size. */
export interface Filled {
  digest: string;
  files: Record<string, number>;
}

/** The cache folder cannot be written (a hostPath not owned by the pod's user, a read-only mount): no entry was made. */
export class CacheUnavailable extends Error {
  override name = "CacheUnavailable";
}

export interface ModelCacheOptions {
  dir: string;
  /** Entries are evicted (least recently used first) while their total exceeds this. */
  maxBytes: number;
  now?: () => number;
}

export class ModelCache {
  constructor(private readonly o: ModelCacheOptions) {}

  get dir(): string {
    return this.o.dir;
  }

  /** The intact entry for `digest`, its use time refreshed; undefined when there is none or it was damaged. */
  async get(digest: string): Promise<CacheEntry | undefined> {
    if (!DIGEST.test(digest)) return undefined;
    const dir = path.join(this.o.dir, digest);
    const record = await readRecord(dir);
    if (record === undefined) {
      if (await exists(dir)) await rm(dir, { recursive: true, force: true });
      return undefined;
    }
    if (record.digest !== digest || !(await sizesMatch(dir, record))) {
      await rm(dir, { recursive: true, force: true });
      return undefined;
    }
    const t = new Date(this.now());
    await utimes(path.join(dir, RECORD), t, t).catch(() => undefined);
    return { dir, digest, bytes: record.bytes, hit: true };
  }

  /**
   * Fills a fresh temp folder, checks its digest against `expected` (when pinned), and renames it into place. A
   * mismatch removes the folder and throws: nothing unverified is ever named by a digest.
   */
  async put(fill: (tmp: string) => Promise<Filled>, expected: string | undefined): Promise<CacheEntry> {
    let tmp: string;
    try {
      await mkdir(this.o.dir, { recursive: true });
      tmp = await mkdtemp(path.join(this.o.dir, TMP_PREFIX));
    } catch (err) {
      throw new CacheUnavailable(`the model cache cannot be written: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    try {
      const filled = await fill(tmp);
      if (expected !== undefined && filled.digest !== expected) {
        throw new ConfigError(
          `model digest mismatch: expected sha256:${expected}, got sha256:${filled.digest}; refusing to serve`,
        );
      }
      const bytes = Object.values(filled.files).reduce((a, b) => a + b, 0);
      const record: EntryRecord = { digest: filled.digest, bytes, files: filled.files };
      await writeFile(path.join(tmp, RECORD), JSON.stringify(record));
      const dir = path.join(this.o.dir, filled.digest);
      try {
        await rename(tmp, dir);
      } catch (err) {
        // Another replica on this node renamed the same digest first: use its entry.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "EEXIST" && code !== "ENOTEMPTY") throw err;
        await rm(tmp, { recursive: true, force: true });
        const theirs = await this.get(filled.digest);
        if (theirs === undefined) throw new ConfigError("the model cache entry was replaced while it was written");
        return { ...theirs, hit: false };
      }
      return { dir, digest: filled.digest, bytes, hit: false };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /**
   * Removes least recently used entries until the total is within maxBytes, never `keep`; also removes temp folders
   * abandoned by pods that died while filling them. Returns the digests removed.
   */
  async evict(keep: string): Promise<string[]> {
    const names = await readdir(this.o.dir).catch(() => [] as string[]);
    const entries: { digest: string; bytes: number; usedAt: number }[] = [];
    for (const name of names) {
      const dir = path.join(this.o.dir, name);
      if (name.startsWith(TMP_PREFIX)) {
        const s = await stat(dir).catch(() => undefined);
        if (s && this.now() - s.mtimeMs > STALE_TMP_MS) await rm(dir, { recursive: true, force: true });
        continue;
      }
      if (!DIGEST.test(name)) continue;
      const record = await readRecord(dir);
      const s = await stat(path.join(dir, RECORD)).catch(() => undefined);
      entries.push({ digest: name, bytes: record?.bytes ?? 0, usedAt: s?.mtimeMs ?? 0 });
    }
    let total = entries.reduce((a, e) => a + e.bytes, 0);
    const removed: string[] = [];
    for (const e of entries.sort((a, b) => a.usedAt - b.usedAt)) {
      if (total <= this.o.maxBytes) break;
      if (e.digest === keep) continue;
      await rm(path.join(this.o.dir, e.digest), { recursive: true, force: true });
      total -= e.bytes;
      removed.push(e.digest);
    }
    return removed;
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

async function readRecord(dir: string): Promise<EntryRecord | undefined> {
  try {
    const r = JSON.parse(await readFile(path.join(dir, RECORD), "utf8")) as EntryRecord;
    const ok =
      typeof r.digest === "string" &&
      typeof r.bytes === "number" &&
      typeof r.files === "object" &&
      r.files !== null &&
      Object.values(r.files).every((n) => typeof n === "number");
    return ok ? r : undefined;
  } catch {
    return undefined;
  }
}

async function sizesMatch(dir: string, record: EntryRecord): Promise<boolean> {
  for (const [name, size] of Object.entries(record.files)) {
    const file = path.resolve(dir, name);
    if (!file.startsWith(dir + path.sep)) return false;
    const s = await stat(file).catch(() => undefined);
    if (s === undefined || !s.isFile() || s.size !== size) return false;
  }
  return true;
}
