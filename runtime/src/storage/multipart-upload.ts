// A file's upload without holding its parts in memory (lib-storage's Upload copies every part into a Buffer, so its
// peak memory is parts in flight × part size): one pass reads the file in order, hashing the whole file (what the
// sha256 metadata must be) and each part (its S3 SHA256 checksum); each part then goes up as a stream of its byte
// range of the file, with that checksum, so the server refuses a part whose bytes are not the ones hashed (a file
// changed in between). The whole file's sha256 is known before the last part goes up: a file that does not match
// the declared sha256 is never completed into an object. Only official SDK commands; nothing is signed by hand.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";

export interface UploadTarget {
  Bucket: string;
  Key: string;
  Metadata: Record<string, string>;
  ContentType?: string;
}

export interface UploadPlan {
  size: number;
  partSize: number;
  /** Parts going up at once. */
  queueSize: number;
}

/** The file's sha256 did not match what the caller declared: nothing was written. */
export class DeclaredDigestMismatch extends Error {
  constructor(readonly actual: string) {
    super(`the file's sha256 is ${actual}`);
  }
}

const READ_CHUNK = 1024 * 1024;
/** Tries of one request whose body is a file stream (the SDK's own retry cannot rewind a stream it consumed). */
const ATTEMPTS = 3;

/** Sends a request built afresh (a new file stream) for each try, as the SDK would retry a buffered one. */
async function withFreshBody<T>(
  makeBody: () => Readable | Buffer,
  send: (body: Readable | Buffer) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const body = makeBody();
    try {
      return await send(body);
    } catch (err) {
      if (!Buffer.isBuffer(body)) body.destroy();
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      // A 4xx (but a timeout or throttling) will not change on a retry; nor does an abort.
      const final = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
      if (final || signal?.aborted || attempt >= ATTEMPTS) throw err;
    }
  }
}

/** Uploads src; `declared` is the hex sha256 the object's metadata carries. Returns the sha256 of the bytes read. */
export async function uploadFile(
  client: S3Client,
  target: UploadTarget,
  src: string,
  plan: UploadPlan,
  declared: string,
): Promise<string> {
  const { size, partSize } = plan;
  const count = Math.max(1, Math.ceil(size / partSize));
  const whole = createHash("sha256");
  const fh = await open(src, "r");
  const buf = Buffer.allocUnsafe(Math.max(1, Math.min(READ_CHUNK, partSize)));
  /** Reads part i once, in order: adds it to the whole file's hash, returns its own sha256 (base64, as S3 has it). */
  async function hashPart(i: number): Promise<string> {
    const part = createHash("sha256");
    const end = Math.min(size, (i + 1) * partSize);
    for (let pos = i * partSize; pos < end; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) throw new Error(`the file ended at ${pos} of ${size} bytes while uploading`);
      whole.update(buf.subarray(0, bytesRead));
      part.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
    return part.digest("base64");
  }
  const body = (i: number): Readable | Buffer => {
    const start = i * partSize;
    const end = Math.min(size, start + partSize);
    return end > start ? createReadStream(src, { start, end: end - 1 }) : Buffer.alloc(0);
  };
  const sha256Of = () => whole.digest("hex");

  try {
    if (count === 1) {
      const checksum = await hashPart(0);
      const sha256 = sha256Of();
      if (sha256 !== declared) throw new DeclaredDigestMismatch(sha256);
      await withFreshBody(
        () => body(0),
        (Body) => client.send(new PutObjectCommand({ ...target, Body, ContentLength: size, ChecksumSHA256: checksum })),
      );
      return sha256;
    }
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ ...target, ChecksumAlgorithm: "SHA256" }),
    );
    const controller = new AbortController();
    try {
      const parts: CompletedPart[] = [];
      // Parts are hashed strictly in order (the whole file's hash needs them so); each worker takes the next one.
      let hashed: Promise<unknown> = Promise.resolve();
      let next = 0;
      let failed = false;
      const worker = async () => {
        for (let i = next++; i < count && !failed; i = next++) {
          const turn = hashed.then(() => hashPart(i));
          hashed = turn;
          const checksum = await turn;
          const ContentLength = Math.min(size, (i + 1) * partSize) - i * partSize;
          const r = await withFreshBody(
            () => body(i),
            (Body) =>
              client.send(
                new UploadPartCommand({
                  Bucket: target.Bucket,
                  Key: target.Key,
                  UploadId,
                  PartNumber: i + 1,
                  Body,
                  ContentLength,
                  ChecksumAlgorithm: "SHA256",
                  ChecksumSHA256: checksum,
                }),
                { abortSignal: controller.signal },
              ),
            controller.signal,
          );
          parts.push({ PartNumber: i + 1, ...(r.ETag ? { ETag: r.ETag } : {}), ChecksumSHA256: checksum });
        }
      };
      const workers = Array.from({ length: Math.min(plan.queueSize, count) }, worker);
      try {
        await Promise.all(workers);
      } catch (err) {
        failed = true;
        controller.abort();
        await Promise.allSettled(workers);
        throw err;
      }
      const sha256 = sha256Of();
      if (sha256 !== declared) throw new DeclaredDigestMismatch(sha256);
      parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: target.Bucket,
          Key: target.Key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      return sha256;
    } catch (err) {
      // Leave no parts behind (they are billed and invisible).
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: target.Bucket, Key: target.Key, UploadId }))
        .catch(() => undefined);
      throw err;
    }
  } finally {
    await fh.close();
  }
}
