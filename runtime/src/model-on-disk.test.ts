import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveModelUri } from "./artifact.js";
import { ModelCache } from "./model-cache.js";
import { fetchToDisk } from "./model-on-disk.js";
import { parseEgressAllow } from "./net/egress.js";
import { tempDir } from "./serve/test-helpers.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const egress = parseEgressAllow("127.0.0.1");
const MiB = 1024 * 1024;

/** 8 MiB of varied bytes, so a short or reordered copy cannot hash the same. */
function modelBytes(size = 8 * MiB): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((i * 2654435761) >>> 0, i);
  return b;
}

/** Polls until `check` holds, failing after `ms`: the test waits on a state, never on a fixed time. */
async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached before the deadline");
    await new Promise((r) => setTimeout(r, 10));
  }
}

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

/** Serves `body` at /m/model.onnx with its Content-Length; `between` runs after the first half is sent. */
async function serve(body: Buffer, between: () => Promise<void> = async () => undefined) {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(200, { "content-length": body.byteLength });
    const half = Math.floor(body.byteLength / 2);
    res.write(body.subarray(0, half));
    between().then(
      () => res.end(body.subarray(half)),
      () => res.destroy(),
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/m/model.onnx`;
  return { loc: resolveModelUri(url, "/mnt/pvc"), requests: () => requests };
}

/** The bytes written so far into any temp folder of the cache. */
async function writtenSoFar(cacheDir: string): Promise<number> {
  let n = 0;
  for (const d of await readdir(cacheDir).catch(() => [] as string[])) {
    if (!d.startsWith(".tmp-")) continue;
    n += (await stat(path.join(cacheDir, d, "model.onnx")).catch(() => ({ size: 0 }))).size;
  }
  return n;
}

describe("models streamed to disk (issue #25, large artifacts)", () => {
  it("an http model reaches disk while it downloads: half is on disk before the server sends the rest", async () => {
    const body = modelBytes();
    const cacheDir = path.join(await tempDir("liftoff-stream-"), "cache");
    // The server holds back the second half until the first half is on disk: a fetch that buffered the whole body
    // before writing would never get there and time out.
    const { loc } = await serve(body, () => until(async () => (await writtenSoFar(cacheDir)) >= body.byteLength / 2));
    const cache = new ModelCache({ dir: cacheDir, maxBytes: 64 * MiB });
    const got = await fetchToDisk(loc, "model.onnx", sha256(body), { egress, cache });
    expect(got).toMatchObject({ digest: sha256(body), bytes: body.byteLength, cacheHit: false });
    expect(got.path).toBe(path.join(cacheDir, sha256(body), "model.onnx"));
    expect(sha256(await readFile(got.path))).toBe(sha256(body));
  });

  it("a second load with the same pinned digest comes from the node cache, without a request", async () => {
    const body = modelBytes(MiB);
    const cacheDir = path.join(await tempDir("liftoff-stream-"), "cache");
    const { loc, requests } = await serve(body);
    const cache = new ModelCache({ dir: cacheDir, maxBytes: 64 * MiB });
    await fetchToDisk(loc, "model.onnx", sha256(body), { egress, cache });
    const again = await fetchToDisk(loc, "model.onnx", sha256(body), { egress, cache });
    expect(again).toMatchObject({ cacheHit: true, digest: sha256(body), bytes: body.byteLength });
    expect(requests()).toBe(1);
  });

  it("a declared size that cannot fit is refused before a byte is written", async () => {
    const body = modelBytes(MiB);
    const cacheDir = path.join(await tempDir("liftoff-stream-"), "cache");
    const { loc } = await serve(body);
    const cache = new ModelCache({ dir: cacheDir, maxBytes: 64 * MiB });
    const seen: number[] = [];
    const fits = (bytes: number) => {
      seen.push(bytes);
      throw new Error("too large");
    };
    await expect(fetchToDisk(loc, "model.onnx", undefined, { egress, cache, fits })).rejects.toThrow("too large");
    expect(seen).toEqual([body.byteLength]);
    expect(existsSync(cacheDir)).toBe(false);
  });

  it("a local (pvc) file is copied once and served from the copy: replacing the source later changes nothing", async () => {
    const dir = await tempDir("liftoff-stream-");
    const source = path.join(dir, "model.onnx");
    const body = modelBytes(MiB);
    await writeFile(source, body);
    // A folder location means its model.onnx; no cache: a scratch copy, removed by release().
    const got = await fetchToDisk({ kind: "file", path: dir }, "model.onnx", sha256(body));
    expect(got.path).not.toBe(source);
    await writeFile(source, "swapped after the check");
    expect(sha256(await readFile(got.path))).toBe(sha256(body));
    await got.release();
    expect(existsSync(got.path)).toBe(false);
  });

  it("a digest mismatch leaves no copy behind, with or without the cache", async () => {
    const dir = await tempDir("liftoff-stream-");
    await writeFile(path.join(dir, "model.onnx"), "not the pinned model");
    const cacheDir = path.join(dir, "cache");
    const cache = new ModelCache({ dir: cacheDir, maxBytes: MiB });
    for (const o of [{}, { cache }]) {
      await expect(fetchToDisk({ kind: "file", path: dir }, "model.onnx", "0".repeat(64), o)).rejects.toThrow(
        /^model digest mismatch: expected sha256:0{64}, got sha256:[0-9a-f]{64}; refusing to serve$/,
      );
    }
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it("a missing file in a folder location is a clear ConfigError", async () => {
    const dir = await tempDir("liftoff-stream-");
    await expect(fetchToDisk({ kind: "file", path: dir }, "model.onnx", undefined)).rejects.toThrow(
      "cannot read model.onnx of the model: ENOENT",
    );
  });
});

describe("a cache folder the pod cannot write", () => {
  it("serves from a private copy instead, and says so", async () => {
    const dir = await tempDir("liftoff-stream-");
    const body = modelBytes(MiB);
    await writeFile(path.join(dir, "model.onnx"), body);
    // A file where the cache folder should be: mkdir fails (as on a root-owned hostPath).
    await writeFile(path.join(dir, "not-a-dir"), "");
    const cache = new ModelCache({ dir: path.join(dir, "not-a-dir", "cache"), maxBytes: 64 * MiB });
    const warnings: string[] = [];
    const got = await fetchToDisk({ kind: "file", path: dir }, "model.onnx", sha256(body), {
      cache,
      warn: (m) => warnings.push(m),
    });
    expect(got).toMatchObject({ digest: sha256(body), cacheHit: false });
    expect(warnings).toEqual(["the model cache cannot be written: ENOTDIR; using a private copy"]);
    await got.release();
  });
});
