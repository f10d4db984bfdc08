// Envelope-encrypted files in fixed-size authenticated segments (AES-256-GCM, node:crypto), the format every
// encrypted DataSet file uses; TrainingJob and serving read them with the same functions.
//
//   header  = "LFTSEG01" (8) | segmentSize u32 BE (4) | salt (16) | noncePrefix (7)          — 35 bytes
//   segment = AES-256-GCM(fileKey, iv = noncePrefix | index u32 BE | last (1 byte: 1 or 0),
//                         aad = header) → ciphertext | tag (16)
//   fileKey = HKDF-SHA-256(dataKey, salt, info = "liftoff-segments-v1:" + file's path in the version)
//
// Every segment but the last holds exactly segmentSize plaintext bytes; the last is flagged in its IV, so a
// truncated file (last flag never seen), reordered or dropped segments (index in the IV), a file moved to another
// path (path in the key) or an edited header (AAD) all fail authentication. An empty file is one empty last segment.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { hashTap } from "./hash-tap.js";

const MAGIC = Buffer.from("LFTSEG01");
const HEADER_BYTES = 8 + 4 + 16 + 7;
const TAG_BYTES = 16;
export const DEFAULT_SEGMENT_SIZE = 1 << 20;
/** Read size when encrypting a file: a segment per read, not sixteen. */
const READ_CHUNK = 1 << 20;

export class DecryptionError extends Error {
  override name = "DecryptionError";
}

function fileKey(dataKey: Buffer, salt: Buffer, path: string): Buffer {
  if (dataKey.length !== 32) throw new Error("the data key must be 32 bytes (AES-256)");
  return Buffer.from(hkdfSync("sha256", dataKey, salt, `liftoff-segments-v1:${path}`, 32));
}

function iv(prefix: Buffer, index: number, last: boolean): Buffer {
  const b = Buffer.alloc(12);
  prefix.copy(b, 0);
  b.writeUInt32BE(index, 7);
  b[11] = last ? 1 : 0;
  return b;
}

/** A Transform that encrypts its input into the segmented format. */
function encryptingStream(dataKey: Buffer, path: string, segmentSize = DEFAULT_SEGMENT_SIZE): Transform {
  const salt = randomBytes(16);
  const prefix = randomBytes(7);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(segmentSize, 8);
  salt.copy(header, 12);
  prefix.copy(header, 28);
  const key = fileKey(dataKey, salt, path);
  // Input chunks (64 KiB from a file stream) are kept as a list and joined once per segment: appending each to one
  // buffer copied the segment's bytes again per chunk (16× per 1 MiB segment).
  let chunks: Buffer[] = [];
  let held = 0;
  let index = 0;
  const seal = (plain: Buffer, last: boolean) => {
    const c = createCipheriv("aes-256-gcm", key, iv(prefix, index++, last));
    c.setAAD(header);
    return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  };
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      if (!started) {
        this.push(header);
        started = true;
      }
      chunks.push(chunk);
      held += chunk.length;
      // Keep at least one byte back: only flush() knows which segment is last.
      if (held > segmentSize) {
        let pending = Buffer.concat(chunks, held);
        while (pending.length > segmentSize) {
          this.push(seal(pending.subarray(0, segmentSize), false));
          pending = pending.subarray(segmentSize);
        }
        chunks = [pending];
        held = pending.length;
      }
      done();
    },
    flush(done: TransformCallback) {
      if (!started) this.push(header);
      this.push(seal(Buffer.concat(chunks, held), true));
      done();
    },
  });
}

/** A Transform that decrypts the segmented format and fails on any tampering or truncation. */
export function decryptingStream(dataKey: Buffer, path: string): Transform {
  let header: Buffer | undefined;
  let key: Buffer | undefined;
  let prefix: Buffer | undefined;
  let sealedSize = 0;
  // As when encrypting: chunks are listed and joined once there is a whole segment, not re-copied per chunk.
  let chunks: Buffer[] = [];
  let held = 0;
  let pending: Buffer = Buffer.alloc(0);
  let index = 0;
  let finished = false;
  const open = (sealed: Buffer, last: boolean) => {
    const d = createDecipheriv("aes-256-gcm", key as Buffer, iv(prefix as Buffer, index++, last));
    d.setAAD(header as Buffer);
    d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_BYTES)), d.final()]);
    } catch {
      throw new DecryptionError(
        `${path}: segment ${index - 1} fails authentication (tampered, reordered or wrong key)`,
      );
    }
  };
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        if (finished) throw new DecryptionError(`${path}: data after the last segment`);
        chunks.push(chunk);
        held += chunk.length;
        // Joined only when a header or a segment (and a byte beyond it: not the last) can be taken from them.
        if (held <= (header ? sealedSize : HEADER_BYTES - 1)) return done();
        pending = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, held);
        chunks = [];
        held = 0;
        if (!header) {
          header = Buffer.from(pending.subarray(0, HEADER_BYTES));
          if (!header.subarray(0, 8).equals(MAGIC)) throw new DecryptionError(`${path}: not a Liftoff encrypted file`);
          const segmentSize = header.readUInt32BE(8);
          key = fileKey(dataKey, header.subarray(12, 28), path);
          prefix = header.subarray(28, 35);
          sealedSize = segmentSize + TAG_BYTES;
          pending = pending.subarray(HEADER_BYTES);
        }
        // A full segment followed by more bytes cannot be the last one.
        while (pending.length > sealedSize) {
          this.push(open(pending.subarray(0, sealedSize), false));
          pending = pending.subarray(sealedSize);
        }
        chunks = [pending];
        held = pending.length;
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        pending = Buffer.concat(chunks, held);
        if (!header || pending.length < TAG_BYTES) throw new DecryptionError(`${path}: truncated`);
        this.push(open(pending, true));
        finished = true;
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** Encrypts src into dst; returns the sha256 (hex) and size of dst, hashed on the way (no second read). */
export async function encryptFile(
  src: string,
  dst: string,
  dataKey: Buffer,
  path: string,
  segmentSize?: number,
): Promise<{ sha256: string; size: number }> {
  const tap = hashTap();
  await pipeline(
    createReadStream(src, { highWaterMark: READ_CHUNK }),
    encryptingStream(dataKey, path, segmentSize),
    tap.tap,
    createWriteStream(dst),
  );
  return { sha256: tap.hex(), size: tap.bytes() };
}

export async function decryptFile(src: string, dst: string, dataKey: Buffer, path: string) {
  await pipeline(createReadStream(src), decryptingStream(dataKey, path), createWriteStream(dst));
}

export async function decryptToBuffer(src: string, dataKey: Buffer, path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(createReadStream(src), decryptingStream(dataKey, path), async (source: AsyncIterable<Buffer>) => {
    for await (const c of source) chunks.push(c);
  });
  return Buffer.concat(chunks);
}

export async function encryptBuffer(plain: Buffer, dataKey: Buffer, path: string, segmentSize?: number) {
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from([plain]),
    encryptingStream(dataKey, path, segmentSize),
    async (s: AsyncIterable<Buffer>) => {
      for await (const c of s) chunks.push(c);
    },
  );
  return Buffer.concat(chunks);
}
