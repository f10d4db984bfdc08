// A big object's download in parts fetched in parallel (ranged GETs, as the AWS CLI does): one connection alone
// is limited by the server's and the client's per-stream throughput. Each part is written straight to its offset in
// the temporary file (no part is held in memory: peak memory is the streams' buffers, whatever the part size), and
// the sha256 is computed in order by reading the file back once each part is on disk, so the digest that is
// verified is the digest of the bytes on disk. A cut part is resumed from its last byte written, a bounded number
// of times; the first failure stops every other part.
import { createHash, type Hash } from "node:crypto";
import { once, setMaxListeners } from "node:events";
import { createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/** A ranged GET of bytes [start, end] (inclusive, as HTTP spells it) pinned to the object's ETag. */
type RangedGet = (
  start: number,
  end: number,
  signal: AbortSignal,
) => Promise<{ body: Readable; contentRange?: string }>;

export interface PartsPlan {
  size: number;
  partSize: number;
  /** Parts in flight at once (connections). */
  parallel: number;
  /** Resumes of one part after a cut. */
  maxResumes: number;
}

export interface PartsIo {
  /** The body of the plain GET that told the size: its first partSize bytes are part 0 (the rest is dropped). */
  first: Readable;
  tmp: string;
  get: RangedGet;
  /** The error for a part cut more than maxResumes times, or one whose write failed for good (ENOSPC). */
  failure(kind: "cut" | "write", err: unknown, cuts: number): Promise<Error>;
  /** The error for a server that answered a ranged GET with something else than that range. */
  badRange(detail: string): Error;
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Observed by the hasher; a part nobody waits for any more must not be an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

const HASH_CHUNK = 1024 * 1024;
const WRITE_BUFFER = 1024 * 1024;

function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOSPC" || code === "EDQUOT";
}

/** Downloads plan.size bytes in parts into io.tmp (created or truncated); returns the sha256 of the file's bytes. */
export async function downloadInParts(plan: PartsPlan, io: PartsIo): Promise<Hash> {
  const { size, partSize, parallel, maxResumes } = plan;
  const count = Math.ceil(size / partSize);
  const done = Array.from({ length: count }, deferred);
  const controller = new AbortController();
  // Each request in flight listens on the signal: more than Node's default 10 is expected, not a leak.
  setMaxListeners(parallel + 10, controller.signal);
  const bodies = new Set<Readable>();
  // Read and write: the hasher reads back what the parts wrote.
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(io.tmp, "w+");
  } catch (err) {
    io.first.destroy();
    throw err;
  }
  let failed = false;

  async function fetchPart(i: number, initial?: Readable): Promise<void> {
    const start = i * partSize;
    const end = Math.min(size, start + partSize);
    let pos = start;
    let cuts = 0;
    let body = initial;
    for (;;) {
      if (body === undefined) {
        const res = await io.get(pos, end - 1, controller.signal);
        body = res.body;
        if (!res.contentRange?.startsWith(`bytes ${pos}-`)) {
          body.destroy();
          throw io.badRange(`asked for bytes ${pos}-${end - 1}, got ${res.contentRange ?? "the whole object"}`);
        }
      }
      bodies.add(body);
      let cut: unknown;
      // A write stream of its own from pos: it writes while the socket goes on reading, and batches what arrived
      // meanwhile into one write, rather than one awaited write per network chunk.
      const out = createWriteStream(io.tmp, { flags: "r+", start: pos, highWaterMark: WRITE_BUFFER });
      const from = pos;
      const isFirst = body === initial;
      let taken = 0;
      try {
        // The body is read through a generator, not piped: leaving it early (the first GET, past part 0) must end
        // the write stream normally, not destroy it with what it has not written yet.
        const src = body;
        const limited = async function* () {
          for await (const chunk of src as AsyncIterable<Uint8Array>) {
            const take = Math.min(chunk.length, end - from - taken);
            taken += take;
            yield take === chunk.length ? chunk : chunk.subarray(0, take);
            // The plain GET goes on past part 0: leaving the loop closes it.
            if (isFirst && from + taken >= end) return;
          }
        };
        await pipeline(Readable.from(limited(), { objectMode: false }), out);
      } catch (err) {
        if (failed) throw err;
        if (isNoSpace(err)) throw await io.failure("write", err, cuts);
        cut = err;
      } finally {
        bodies.delete(body);
        // bytesWritten is final once the stream has closed (a destroyed one finishes its write in progress first).
        if (!out.closed) await once(out, "close").catch(() => undefined);
      }
      pos = from + out.bytesWritten;
      if (pos >= end) cut = undefined;
      body = undefined;
      if (pos >= end) return;
      cut ??= new Error(`the body ended after ${pos - start} of the ${end - start} bytes of part ${i + 1}`);
      cuts += 1;
      if (cuts > maxResumes) throw await io.failure("cut", cut, cuts);
    }
  }

  async function worker(first?: Readable): Promise<void> {
    if (first) {
      await fetchPart(0, first);
      done[0]?.resolve();
    }
    for (let i = next++; i < count && !failed; i = next++) {
      await fetchPart(i);
      done[i]?.resolve();
    }
  }

  async function hasher(): Promise<Hash> {
    const hash = createHash("sha256");
    const buf = Buffer.allocUnsafe(Math.min(HASH_CHUNK, size));
    for (let i = 0; i < count; i++) {
      await done[i]?.promise;
      const end = Math.min(size, (i + 1) * partSize);
      for (let pos = i * partSize; pos < end; ) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos), pos);
        if (bytesRead === 0) throw new Error(`the temporary file ended at ${pos} of ${size} bytes`);
        hash.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
      }
    }
    return hash;
  }

  let next = 1;
  const workers = [worker(io.first), ...Array.from({ length: Math.min(parallel, count) - 1 }, () => worker())];
  const hashing = hasher();
  try {
    await Promise.all([...workers, hashing]);
    return await hashing;
  } catch (err) {
    // Stop everything, and wait until nothing writes to the file any more before the caller removes it.
    failed = true;
    controller.abort();
    for (const b of bodies) b.destroy();
    for (const d of done) d.reject(err);
    await Promise.allSettled([...workers, hashing]);
    throw err;
  } finally {
    await fh.close();
  }
}
