import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { DecryptionError, decryptingStream, decryptToBuffer, encryptBuffer, encryptFile } from "./segments.js";

const key = randomBytes(32);

async function decrypt(sealed: Buffer, path = "train/part-00000.parquet", k = key): Promise<Buffer> {
  const out: Buffer[] = [];
  // Feed in odd-sized chunks so segment boundaries never line up with reads.
  const chunks: Buffer[] = [];
  for (let i = 0; i < sealed.length; i += 7) chunks.push(sealed.subarray(i, i + 7));
  await pipeline(Readable.from(chunks), decryptingStream(k, path), async (s: AsyncIterable<Buffer>) => {
    for await (const c of s) out.push(c);
  });
  return Buffer.concat(out);
}

describe("segmented AES-256-GCM", () => {
  const plain = randomBytes(100);
  const path = "train/part-00000.parquet";

  it("round-trips any length, including empty and exact multiples of the segment size", async () => {
    for (const n of [0, 1, 31, 32, 33, 64, 100]) {
      const p = plain.subarray(0, n);
      const sealed = await encryptBuffer(p, key, path, 32);
      expect(sealed.length).toBe(35 + Math.max(1, Math.ceil(n / 32)) * 16 + n);
      expect((await decrypt(sealed)).equals(p)).toBe(true);
    }
  });

  it("never writes the plaintext", async () => {
    const text = Buffer.from("alice@example.org,42\n".repeat(10));
    const sealed = await encryptBuffer(text, key, path, 32);
    expect(sealed.includes(Buffer.from("alice"))).toBe(false);
  });

  it("fails on truncation, reordering, a flipped bit, another path or another key", async () => {
    const sealed = await encryptBuffer(plain, key, path, 32); // 4 segments of 48 sealed bytes
    const seg = (i: number) => sealed.subarray(35 + i * 48, 35 + (i + 1) * 48);
    const head = sealed.subarray(0, 35);
    await expect(decrypt(sealed.subarray(0, 35 + 3 * 48))).rejects.toThrow(DecryptionError); // last dropped
    await expect(decrypt(Buffer.concat([head, seg(1), seg(0), seg(2), sealed.subarray(35 + 3 * 48)]))).rejects.toThrow(
      /segment 0 fails/,
    );
    const flipped = Buffer.from(sealed);
    flipped[40] = (flipped[40] ?? 0) ^ 1;
    await expect(decrypt(flipped)).rejects.toThrow(DecryptionError);
    await expect(decrypt(sealed, "test/part-00000.parquet")).rejects.toThrow(DecryptionError);
    await expect(decrypt(sealed, path, randomBytes(32))).rejects.toThrow(DecryptionError);
    await expect(decrypt(sealed.subarray(0, 20))).rejects.toThrow(/truncated/);
  });

  it("encrypts a file read in chunks of another size than the segment's, and returns the written file's sha256 and size", async () => {
    const dir = await mkdtemp(join(tmpdir(), "segments-"));
    try {
      for (const n of [0, 1, 4096, 3 * 4096 + 17, 300_000]) {
        const p = randomBytes(n);
        await writeFile(join(dir, "plain"), p);
        const h = await encryptFile(join(dir, "plain"), join(dir, "sealed"), key, path, 4096);
        const sealed = await readFile(join(dir, "sealed"));
        expect(h).toEqual({ sha256: createHash("sha256").update(sealed).digest("hex"), size: sealed.length });
        expect(sealed.length).toBe(35 + Math.max(1, Math.ceil(n / 4096)) * 16 + n);
        expect((await decryptToBuffer(join(dir, "sealed"), key, path)).equals(p)).toBe(true);
        expect((await decrypt(sealed)).equals(p)).toBe(true);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
