import { createHash } from "node:crypto";
import { mkdir, readdir, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type Filled, ModelCache } from "./model-cache.js";
import { tempDir } from "./serve/test-helpers.js";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** A fill that writes one file with `content` and reports its real digest. */
const fillWith =
  (content: string, name = "model.onnx") =>
  async (tmp: string): Promise<Filled> => {
    await writeFile(path.join(tmp, name), content);
    return { digest: sha256(content), files: { [name]: Buffer.byteLength(content) } };
  };

async function cacheIn(maxBytes = 1024, now?: () => number) {
  const dir = path.join(await tempDir("liftoff-cache-"), "models");
  return { dir, cache: new ModelCache({ dir, maxBytes, ...(now ? { now } : {}) }) };
}

describe("node model cache", () => {
  it("put renames a filled folder to its digest; get finds it again as a hit", async () => {
    const { dir, cache } = await cacheIn();
    const put = await cache.put(fillWith("weights-a"), sha256("weights-a"));
    expect(put).toEqual({
      dir: path.join(dir, sha256("weights-a")),
      digest: sha256("weights-a"),
      bytes: 9,
      hit: false,
    });
    expect(await cache.get(sha256("weights-a"))).toEqual({ ...put, hit: true });
    // No temp folder is left behind.
    expect((await readdir(dir)).filter((n) => n.startsWith(".tmp-"))).toEqual([]);
  });

  it("a digest mismatch names nothing: the temp folder is removed and the error says both digests", async () => {
    const { dir, cache } = await cacheIn();
    const err = await cache.put(fillWith("tampered"), "0".repeat(64)).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `model digest mismatch: expected sha256:${"0".repeat(64)}, got sha256:${sha256("tampered")}; refusing to serve`,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it("a damaged entry (a file of another size) is removed on get, so the model is fetched again", async () => {
    const { dir, cache } = await cacheIn();
    const d = sha256("weights-b");
    await cache.put(fillWith("weights-b"), d);
    await writeFile(path.join(dir, d, "model.onnx"), "short");
    expect(await cache.get(d)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it("a folder without its record (a half-written entry from an older runtime) is not a hit", async () => {
    const { dir, cache } = await cacheIn();
    const d = sha256("weights-c");
    await mkdir(path.join(dir, d), { recursive: true });
    await writeFile(path.join(dir, d, "model.onnx"), "weights-c");
    expect(await cache.get(d)).toBeUndefined();
  });

  it("get refuses a name that is not a digest (no path outside the cache)", async () => {
    const { cache } = await cacheIn();
    expect(await cache.get("../../etc")).toBeUndefined();
  });

  it("two replicas filling the same digest at once both end with the one entry", async () => {
    const { dir, cache } = await cacheIn();
    const d = sha256("same");
    const [a, b] = await Promise.all([cache.put(fillWith("same"), d), cache.put(fillWith("same"), d)]);
    expect(a.dir).toBe(path.join(dir, d));
    expect(b.dir).toBe(path.join(dir, d));
    expect(await readdir(dir)).toEqual([d]);
  });

  it("evicts least recently used entries beyond the bound, never the one being loaded", async () => {
    let clock = 1_000_000_000_000;
    const { dir, cache } = await cacheIn(20, () => clock);
    const [a, b, c] = ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"]; // 10 bytes each, bound 20
    const at = async (d: string, ms: number) => {
      const t = new Date(ms);
      await utimes(path.join(dir, d, ".liftoff-entry.json"), t, t);
    };
    await cache.put(fillWith(a), sha256(a));
    await at(sha256(a), clock - 3000);
    await cache.put(fillWith(b), sha256(b));
    await at(sha256(b), clock - 2000);
    // a is used again (a hit refreshes its time): b is now the least recently used.
    clock += 1000;
    expect((await cache.get(sha256(a)))?.hit).toBe(true);
    await cache.put(fillWith(c), sha256(c));
    expect(await cache.evict(sha256(c))).toEqual([sha256(b)]);
    expect((await readdir(dir)).sort()).toEqual([sha256(a), sha256(c)].sort());
    // A bound smaller than the entry being loaded keeps that entry alone.
    const tiny = new ModelCache({ dir, maxBytes: 1, now: () => clock });
    expect((await tiny.evict(sha256(c))).sort()).toEqual([sha256(a)]);
    expect(await readdir(dir)).toEqual([sha256(c)]);
  });

  it("removes temp folders abandoned over an hour ago, not fresh ones (another pod may be filling them)", async () => {
    const now = Date.now();
    const { dir, cache } = await cacheIn(1024, () => now);
    await mkdir(path.join(dir, ".tmp-old"), { recursive: true });
    await mkdir(path.join(dir, ".tmp-new"), { recursive: true });
    const old = new Date(now - 2 * 60 * 60_000);
    await utimes(path.join(dir, ".tmp-old"), old, old);
    await cache.evict("");
    expect(await readdir(dir)).toEqual([".tmp-new"]);
    expect((await stat(path.join(dir, ".tmp-new"))).isDirectory()).toBe(true);
  });
});
