// One bucket of an S3-compatible store as the runtime uses it: streamed both ways (never a whole object in memory),
// every object carrying its sha256 (user metadata `sha256`, plus an S3 SHA256 checksum the server checks on the way
// in), every download verified on the bytes written to disk, written under a temporary name and renamed, and resumed
// with a Range request when a transfer is cut. Every error is a StorageError naming s3://bucket/key (errors.ts).
import { createHash, type Hash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat, truncate } from "node:fs/promises";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { StorageReason } from "../contract/storage-reasons.js";
import { StorageError, storageError } from "./errors.js";
import { DeclaredDigestMismatch, uploadFile } from "./multipart-upload.js";
import { downloadInParts } from "./ranged-download.js";

export interface ObjectInfo {
  key: string;
  size: number;
  /** The object's `sha256` metadata (hex); absent from listings, and on objects written by other tools. */
  sha256?: string;
  lastModified?: Date;
}

export interface ObjectStore {
  /** s3://bucket/key (or the path), for messages. */
  describe(key: string): string;
  /** undefined: no such key (a missing bucket throws StorageNotFound). */
  head(key: string): Promise<ObjectInfo | undefined>;
  /** The object's bytes as they come; the caller verifies them (download does). */
  open(key: string): Promise<{
    body: AsyncIterable<Uint8Array>;
    size: number;
    sha256?: string;
    /** Stops reading (closes the connection) when the caller does not read to the end. */
    cancel(): void;
  }>;
  /**
   * Streams to dest (a temporary name beside it, renamed when complete and verified), hashing on the way; verifies
   * expectedSha256 ("<hex>" or "sha256:<hex>") and the object's own sha256 metadata; resumes a cut transfer with a
   * Range request. On any failure nothing is left at dest.
   */
  download(key: string, dest: string, o?: { expectedSha256?: string }): Promise<{ sha256: string; bytes: number }>;
  /** Streams src up (multipart for big files), with its sha256 as metadata and as the S3 checksum. */
  upload(
    src: string,
    key: string,
    o?: { sha256?: string; contentType?: string },
  ): Promise<{ sha256: string; bytes: number }>;
  /** Every object under prefix (a plain string prefix: pass "a/" for the folder a). */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deletes the keys (a missing one is no error). */
  delete(keys: string[]): Promise<void>;
}

export interface S3StoreOptions {
  /**
   * Multipart part size; default 8 MiB, raised for objects that would need more than 10,000 parts. Downloads of
   * objects of two parts or more fetch parts in parallel (ranged GETs) of this size when given, else of 16 MiB.
   */
  partSize?: number;
  /** Upload: bytes of parts in flight at once (queueSize × partSize); default 32 MiB (4 parts of 8 MiB). Parts are
   * streamed from the file, not held in memory. */
  bufferBytes?: number;
  /**
   * Download: parts in flight at once (connections); default 8. Parts go straight to the file, so memory does not
   * grow with this.
   */
  downloadParallel?: number;
  /** Resumes of one download after a cut (each from the bytes on disk); default 3. */
  maxResumes?: number;
}

const MiB = 1024 * 1024;
/** S3's smallest part (but the last). */
const MIN_PART_SIZE = 5 * MiB;
const DEFAULT_PART_SIZE = 8 * MiB;
/** S3 allows 10,000 parts; a little room left. */
const MAX_PARTS = 9000;
const DEFAULT_BUFFER_BYTES = 32 * MiB;
const DEFAULT_MAX_RESUMES = 3;
// Measured with npm run bench:storage (1 GiB, 2 cores): 8 × 16 MiB read faster than 4 or 16 in flight, or 8 MiB parts.
const DEFAULT_DOWNLOAD_PARALLEL = 8;
const DEFAULT_DOWNLOAD_PART_SIZE = 16 * MiB;
const HEX64 = /^[0-9a-f]{64}$/;

/** "sha256:<hex>" or "<hex>" → lower-case hex; a malformed value is kept so that it mismatches loudly. */
function normalizeSha256(value: string): string {
  return value.replace(/^sha256:/i, "").toLowerCase();
}

/** The part size and parallel parts for an object of `size` bytes: parts × queue stays within the buffer budget. */
export function uploadPlan(size: number, o: S3StoreOptions = {}): { partSize: number; queueSize: number } {
  const partSize = Math.max(MIN_PART_SIZE, o.partSize ?? DEFAULT_PART_SIZE, Math.ceil(size / MAX_PARTS));
  const queueSize = Math.max(1, Math.floor((o.bufferBytes ?? DEFAULT_BUFFER_BYTES) / partSize));
  return { partSize, queueSize };
}

/** Downloads: parts of partSize when given (not clamped: S3 ranges have no minimum), else 16 MiB; 8 in flight. */
function downloadPlan(size: number, o: S3StoreOptions = {}): { partSize: number; parallel: number } {
  const partSize = Math.max(1, o.partSize ?? DEFAULT_DOWNLOAD_PART_SIZE, Math.ceil(size / MAX_PARTS));
  const parallel = Math.max(1, o.downloadParallel ?? DEFAULT_DOWNLOAD_PARALLEL);
  return { partSize, parallel };
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
}

/** sha256 of a file as it is on disk (streamed). */
async function hashFile(file: string): Promise<{ hash: Hash; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hash, bytes };
}

/** Passes chunks through, adding them to `hash` on the way. */
function hashing(hash: Hash): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

function isPreconditionFailed(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "PreconditionFailed" || e?.$metadata?.httpStatusCode === 412;
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === "NotFound" || e?.name === "NoSuchKey" || e?.$metadata?.httpStatusCode === 404;
}

class S3ObjectStore implements ObjectStore {
  private endpoint: string | undefined;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly opts: S3StoreOptions,
  ) {}

  describe(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** Where the client connects, for unreachable messages (resolved once). */
  private async where(): Promise<string | undefined> {
    if (this.endpoint === undefined) {
      try {
        const e = await this.client.config.endpoint?.();
        this.endpoint = e ? `${e.protocol}//${e.hostname}${e.port ? `:${e.port}` : ""}` : "AWS S3";
      } catch {
        this.endpoint = "AWS S3";
      }
    }
    return this.endpoint;
  }

  private async fail(err: unknown, key: string): Promise<StorageError> {
    return storageError(err, this.describe(key), await this.where());
  }

  /** A 404 on HEAD does not say whether the bucket or the key is missing: ask about the bucket. */
  private async checkBucket(key: string): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (isNotFound(err)) {
        throw new StorageError(
          StorageReason.StorageNotFound,
          this.describe(key),
          `the bucket ${this.bucket} does not exist; create it or fix the bucket in the URI`,
        );
      }
      throw await this.fail(err, key);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      const sha256 = r.Metadata?.sha256;
      return {
        key,
        size: r.ContentLength ?? 0,
        ...(sha256 ? { sha256 } : {}),
        ...(r.LastModified ? { lastModified: r.LastModified } : {}),
      };
    } catch (err) {
      if (!isNotFound(err)) throw await this.fail(err, key);
    }
    await this.checkBucket(key);
    return undefined;
  }

  private async get(key: string, from?: { offset: number; etag?: string }): Promise<GetObjectCommandOutput> {
    return this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: key,
        ...(from && from.offset > 0 ? { Range: `bytes=${from.offset}-` } : {}),
        ...(from?.etag ? { IfMatch: from.etag } : {}),
      }),
    );
  }

  async open(key: string): ReturnType<ObjectStore["open"]> {
    let res: GetObjectCommandOutput;
    try {
      res = await this.get(key);
    } catch (err) {
      throw await this.fail(err, key);
    }
    const body = res.Body as Readable;
    const sha256 = res.Metadata?.sha256;
    return {
      body,
      size: res.ContentLength ?? 0,
      ...(sha256 ? { sha256 } : {}),
      cancel: () => body.destroy(),
    };
  }

  async download(key: string, dest: string, o: { expectedSha256?: string } = {}) {
    const uri = this.describe(key);
    const maxResumes = this.opts.maxResumes ?? DEFAULT_MAX_RESUMES;
    await mkdir(path.dirname(dest), { recursive: true });
    // Beside dest, so the rename is atomic; a crash leaves only this name, never a partial dest.
    const tmp = `${dest}.part-${randomBytes(6).toString("hex")}`;
    try {
      let first: GetObjectCommandOutput;
      try {
        first = await this.get(key);
      } catch (err) {
        if (isNotFound(err)) await this.checkBucket(key);
        throw await this.fail(err, key);
      }
      const etag = first.ETag;
      const size = first.ContentLength;
      const metaSha = first.Metadata?.sha256;
      const plan = downloadPlan(size ?? 0, this.opts);
      const hash =
        size !== undefined && etag !== undefined && plan.parallel > 1 && size >= 2 * plan.partSize
          ? await this.downloadParts(key, first.Body as Readable, tmp, { size, etag, ...plan, maxResumes })
          : await this.downloadStream(key, first, tmp, maxResumes);
      const bytes = await sizeOf(tmp);
      if (size !== undefined && bytes !== size) {
        throw new StorageError(
          StorageReason.StorageTransferFailed,
          uri,
          `got ${bytes} bytes of an object of ${size}; retry`,
        );
      }
      const sha256 = hash.digest("hex");
      for (const [want, whose] of [
        [metaSha, "its sha256 metadata"],
        [o.expectedSha256, "the expected sha256"],
      ] as const) {
        if (want !== undefined && normalizeSha256(want) !== sha256) {
          throw new StorageError(
            StorageReason.StorageDigestMismatch,
            uri,
            `the bytes read have sha256 ${sha256}, not ${normalizeSha256(want).slice(0, 64)} (${whose}); the object was altered or damaged: refusing it`,
          );
        }
      }
      await rename(tmp, dest);
      return { sha256, bytes };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err instanceof StorageError ? err : storageError(err, uri, await this.where());
    }
  }

  /** One streamed GET (small objects), resumed with a Range request from the bytes on disk when cut. */
  private async downloadStream(key: string, first: GetObjectCommandOutput, tmp: string, maxResumes: number) {
    const uri = this.describe(key);
    const etag = first.ETag;
    const size = first.ContentLength;
    let res: GetObjectCommandOutput | undefined = first;
    let hash = createHash("sha256");
    let cuts = 0;
    let lastCut: unknown;
    for (;;) {
      if (res === undefined) {
        // Resume: the bytes on disk are what count; hash them again rather than trust what was sent before.
        // (A cut before the first byte may leave no file at all.)
        const onDisk = (await sizeOf(tmp)) > 0 ? await hashFile(tmp) : { hash: createHash("sha256"), bytes: 0 };
        hash = onDisk.hash;
        try {
          res = await this.get(key, { offset: onDisk.bytes, ...(etag ? { etag } : {}) });
        } catch (err) {
          if (!isPreconditionFailed(err)) throw await this.fail(err, key);
          throw new StorageError(
            StorageReason.StorageTransferFailed,
            uri,
            "the object changed while it was being downloaded; retry",
          );
        }
        const range = res.ContentRange;
        if (onDisk.bytes > 0 && !range?.startsWith(`bytes ${onDisk.bytes}-`)) {
          // The server sent the whole object instead of the range: start over from its first byte.
          await truncate(tmp, 0);
          hash = createHash("sha256");
        }
      }
      try {
        await pipeline(res.Body as Readable, hashing(hash), createWriteStream(tmp, { flags: "a" }));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOSPC") throw storageError(err, uri);
        lastCut = err;
      }
      res = undefined;
      const have = await sizeOf(tmp);
      if (lastCut === undefined && (size === undefined || have >= size)) break;
      lastCut ??= new Error(`the body ended after ${have} of ${size} bytes`);
      cuts += 1;
      if (cuts > maxResumes) {
        const e = storageError(lastCut, uri, await this.where());
        throw new StorageError(
          e.reason === StorageReason.StorageUnreachable ? e.reason : StorageReason.StorageTransferFailed,
          uri,
          `the transfer was cut ${cuts} times (last: ${e.detail}); check the network to the endpoint`,
        );
      }
      lastCut = undefined;
    }
    return hash;
  }

  /** Parts in parallel (ranged GETs pinned to the ETag), written at their offsets, hashed in order from disk. */
  private async downloadParts(
    key: string,
    first: Readable,
    tmp: string,
    plan: { size: number; etag: string; partSize: number; parallel: number; maxResumes: number },
  ) {
    const uri = this.describe(key);
    return downloadInParts(plan, {
      first,
      tmp,
      get: async (start, end, signal) => {
        try {
          const res = await this.client.send(
            new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: `bytes=${start}-${end}`, IfMatch: plan.etag }),
            { abortSignal: signal },
          );
          return { body: res.Body as Readable, ...(res.ContentRange ? { contentRange: res.ContentRange } : {}) };
        } catch (err) {
          if (!isPreconditionFailed(err)) throw await this.fail(err, key);
          throw new StorageError(
            StorageReason.StorageTransferFailed,
            uri,
            "the object changed while it was being downloaded; retry",
          );
        }
      },
      failure: async (kind, err, cuts) => {
        const e = storageError(err, uri, await this.where());
        if (kind === "write") return e;
        return new StorageError(
          e.reason === StorageReason.StorageUnreachable ? e.reason : StorageReason.StorageTransferFailed,
          uri,
          `the transfer was cut ${cuts} times (last: ${e.detail}); check the network to the endpoint`,
        );
      },
      badRange: (detail) =>
        new StorageError(
          StorageReason.StorageTransferFailed,
          uri,
          `the server did not answer a ranged GET (${detail})`,
        ),
    });
  }

  async upload(src: string, key: string, o: { sha256?: string; contentType?: string } = {}) {
    const uri = this.describe(key);
    let size: number;
    let declared: string;
    try {
      size = (await stat(src)).size;
      // The metadata goes with the first request, before any byte: hash the file first unless the caller knows it.
      declared = o.sha256 !== undefined ? normalizeSha256(o.sha256) : (await hashFile(src)).hash.digest("hex");
    } catch (err) {
      throw new StorageError(
        StorageReason.StorageTransferFailed,
        uri,
        `cannot read the local file to upload (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    if (!HEX64.test(declared)) {
      throw new StorageError(StorageReason.StorageDigestMismatch, uri, `'${declared.slice(0, 80)}' is not a sha256`);
    }
    let sent: string;
    try {
      sent = await uploadFile(
        this.client,
        {
          Bucket: this.bucket,
          Key: key,
          Metadata: { sha256: declared },
          ...(o.contentType ? { ContentType: o.contentType } : {}),
        },
        src,
        { size, ...uploadPlan(size, this.opts) },
        declared,
      );
    } catch (err) {
      if (!(err instanceof DeclaredDigestMismatch)) throw await this.fail(err, key);
      // What would go up is not what the metadata claims (the file changed, or the caller's sha256 is wrong).
      throw new StorageError(
        StorageReason.StorageDigestMismatch,
        uri,
        `the bytes read have sha256 ${err.actual}, not ${declared}; the local file changed while uploading or its sha256 is wrong (no object was written)`,
      );
    }
    return { sha256: sent, bytes: size };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let res: ListObjectsV2CommandOutput;
      try {
        res = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (err) {
        throw await this.fail(err, prefix);
      }
      for (const c of res.Contents ?? []) {
        if (c.Key === undefined) continue;
        yield { key: c.Key, size: c.Size ?? 0, ...(c.LastModified ? { lastModified: c.LastModified } : {}) };
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      let res: DeleteObjectsCommandOutput;
      try {
        res = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        );
      } catch (err) {
        throw await this.fail(err, batch[0] ?? "");
      }
      const first = res.Errors?.[0];
      if (first) {
        throw storageError(
          { name: first.Code, message: first.Message },
          this.describe(first.Key ?? batch[0] ?? ""),
          await this.where(),
        );
      }
    }
  }
}

export function s3ObjectStore(client: S3Client, bucket: string, o: S3StoreOptions = {}): ObjectStore {
  return new S3ObjectStore(client, bucket, o);
}
