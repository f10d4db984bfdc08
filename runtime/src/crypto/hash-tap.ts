// A pass-through stream that hashes (sha256) and counts what flows through it, for copies that must check a digest
// and a size on the way without reading the file twice.
import { createHash } from "node:crypto";
import { Transform } from "node:stream";

export interface HashTap {
  tap: Transform;
  /** The sha256 (hex) of everything that passed; call once the pipeline has finished. */
  hex(): string;
  /** Bytes that passed so far. */
  bytes(): number;
}

export function hashTap(): HashTap {
  const hash = createHash("sha256");
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  return { tap, hex: () => hash.digest("hex"), bytes: () => bytes };
}
