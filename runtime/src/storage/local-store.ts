// The ObjectStore of a local folder (a mounted claim, a node cache, a test): keys are paths under root. It lets the
// version-folder code treat a folder and a bucket alike; there is no metadata, so head() gives no sha256 and a
// download verifies only the sha256 the caller expects. Copies are streamed and land under a temporary name.
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, type Dirent } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { StorageReason } from "../contract/storage-reasons.js";
import { hashTap } from "../crypto/hash-tap.js";
import { StorageError, storageError } from "./errors.js";
import type { ObjectInfo, ObjectStore } from "./object-store.js";

/** A copy in progress (copyHashing's temporary name): not an object yet. */
const PART = /\.part-[0-9a-f]{12}$/;

/** Streams src to dest through a temporary name beside dest, returning the sha256 and size of what was written. */
async function copyHashing(src: string, dest: string): Promise<{ sha256: string; bytes: number; tmp: string }> {
  await mkdir(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${randomBytes(6).toString("hex")}`;
  const hashed = hashTap();
  try {
    await pipeline(createReadStream(src), hashed.tap, createWriteStream(tmp));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return { sha256: hashed.hex(), bytes: hashed.bytes(), tmp };
}

class LocalObjectStore implements ObjectStore {
  constructor(private readonly root: string) {}

  describe(key: string): string {
    return path.join(this.root, key);
  }

  /** The file of a key; a key that would leave root (absolute, `..`) is refused. */
  private file(key: string): string {
    const parts = key.split("/");
    if (key.startsWith("/") || parts.some((p) => p === ".." || p === ".") || key.includes("\0")) {
      throw new StorageError(StorageReason.StorageNotFound, key, "the key leaves the storage folder");
    }
    return path.join(this.root, ...parts);
  }

  private fail(err: unknown, key: string): StorageError {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      return new StorageError(StorageReason.StorageNotFound, this.describe(key), "no such file");
    }
    if (["EACCES", "EPERM", "EROFS"].includes((err as NodeJS.ErrnoException).code ?? "")) {
      return new StorageError(
        StorageReason.StorageAccessDenied,
        this.describe(key),
        "not readable or writable by this user",
      );
    }
    return storageError(err, this.describe(key));
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(this.file(key));
      return s.isFile() ? { key, size: s.size, lastModified: s.mtime } : undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw this.fail(err, key);
    }
  }

  async open(key: string): ReturnType<ObjectStore["open"]> {
    const file = this.file(key);
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch (err) {
      throw this.fail(err, key);
    }
    const body = createReadStream(file);
    return { body, size, cancel: () => body.destroy() };
  }

  async download(key: string, dest: string, o: { expectedSha256?: string } = {}) {
    let copied: Awaited<ReturnType<typeof copyHashing>>;
    try {
      copied = await copyHashing(this.file(key), dest);
    } catch (err) {
      throw this.fail(err, key);
    }
    const want = o.expectedSha256?.replace(/^sha256:/i, "").toLowerCase();
    if (want !== undefined && want !== copied.sha256) {
      await rm(copied.tmp, { force: true });
      throw new StorageError(
        StorageReason.StorageDigestMismatch,
        this.describe(key),
        `the bytes read have sha256 ${copied.sha256}, not ${want.slice(0, 64)} (the expected sha256); refusing it`,
      );
    }
    await rename(copied.tmp, dest);
    return { sha256: copied.sha256, bytes: copied.bytes };
  }

  async upload(src: string, key: string, o: { sha256?: string } = {}) {
    const dest = this.file(key);
    let copied: Awaited<ReturnType<typeof copyHashing>>;
    try {
      copied = await copyHashing(src, dest);
    } catch (err) {
      throw this.fail(err, key);
    }
    const want = o.sha256?.replace(/^sha256:/i, "").toLowerCase();
    if (want !== undefined && want !== copied.sha256) {
      await rm(copied.tmp, { force: true });
      throw new StorageError(
        StorageReason.StorageDigestMismatch,
        this.describe(key),
        `the bytes copied have sha256 ${copied.sha256}, not ${want.slice(0, 64)}; the local file changed or its sha256 is wrong`,
      );
    }
    await rename(copied.tmp, dest);
    return { sha256: copied.sha256, bytes: copied.bytes };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    // Walk from the deepest folder the prefix names; keep the keys that start with the whole prefix.
    const slash = prefix.lastIndexOf("/");
    const start = slash < 0 ? "" : prefix.slice(0, slash);
    const self = this;
    async function* walk(rel: string): AsyncGenerator<ObjectInfo> {
      let entries: Dirent[];
      try {
        entries = await readdir(rel === "" ? self.root : self.file(rel), { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw self.fail(err, rel);
      }
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const key = rel === "" ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) yield* walk(key);
        else if (e.isFile() && key.startsWith(prefix) && !PART.test(key)) {
          const s = await stat(self.file(key));
          yield { key, size: s.size, lastModified: s.mtime };
        }
      }
    }
    yield* walk(start);
  }

  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await rm(this.file(key), { force: true });
      } catch (err) {
        throw this.fail(err, key);
      }
    }
  }
}

/** A folder as an ObjectStore (keys are `/`-separated paths under root). */
export function localObjectStore(root: string): ObjectStore {
  return new LocalObjectStore(root);
}
