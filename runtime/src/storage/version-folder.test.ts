// The version-folder rules on a local folder store (fast; s3.test.ts runs the same rules against a real S3 server).
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACT_FORMAT_VERSION, type ManifestJson } from "../contract/artifacts.js";
import { StorageReason } from "../contract/storage-reasons.js";
import { StorageError } from "./errors.js";
import { localObjectStore } from "./local-store.js";
import type { ObjectStore } from "./object-store.js";
import { downloadVersion, removeUnreferenced, uploadFolder } from "./version-folder.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "liftoff-version-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const FILES: Record<string, string> = { "train.parquet": "rows", "sub/stats.json": '{"rows":1}' };

async function versionDir(name: string, files = FILES, extra: Partial<ManifestJson> = {}): Promise<string> {
  const dir = path.join(work, name);
  for (const [p, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, p)), { recursive: true });
    await writeFile(path.join(dir, p), text);
  }
  const manifest: ManifestJson = {
    formatVersion: ARTIFACT_FORMAT_VERSION,
    kind: "TrainingJob",
    files: Object.entries(files).map(([p, t]) => ({ path: p, sha256: sha(t), size: Buffer.byteLength(t) })),
    ...extra,
  };
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest));
  return dir;
}

async function failure(p: Promise<unknown>, reason: string): Promise<StorageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  expect((err as StorageError).reason).toBe(reason);
  return err as StorageError;
}

function recording(store: ObjectStore, order: string[]): ObjectStore {
  return {
    describe: (k) => store.describe(k),
    head: (k) => store.head(k),
    open: (k) => store.open(k),
    download: (k, d, o) => store.download(k, d, o),
    list: (p) => store.list(p),
    delete: (k) => store.delete(k),
    upload: (src, key, o) => {
      order.push(key);
      return store.upload(src, key, o);
    },
  };
}

describe("uploadFolder and downloadVersion", () => {
  it("uploads every file and manifest.json last, and downloads them back verified", async () => {
    const store = localObjectStore(path.join(work, "bucket1"));
    const order: string[] = [];
    const dir = await versionDir("v1");
    await uploadFolder(dir, recording(store, order), "models/m1");
    expect(order).toEqual(["models/m1/sub/stats.json", "models/m1/train.parquet", "models/m1/manifest.json"]);
    const dest = path.join(work, "down1", "m1");
    const got = await downloadVersion(store, "models/m1/", dest);
    expect(got.manifestSha256).toBe(sha(await readFile(path.join(dir, "manifest.json"))));
    expect(got.manifest.kind).toBe("TrainingJob");
    expect(await readFile(path.join(dest, "sub/stats.json"), "utf8")).toBe(FILES["sub/stats.json"]);
    expect((await readdir(dest)).sort()).toEqual(["manifest.json", "sub", "train.parquet"]);
    // Nothing else beside it: the staging folder was renamed into place.
    expect(await readdir(path.join(work, "down1"))).toEqual(["m1"]);
  });

  it("a file that changed after the manifest was written is refused on upload (no object, no manifest)", async () => {
    const store = localObjectStore(path.join(work, "bucket2"));
    const dir = await versionDir("v2");
    await writeFile(path.join(dir, "train.parquet"), "other rows");
    await failure(uploadFolder(dir, store, "v2"), StorageReason.StorageDigestMismatch);
    expect(await store.head("v2/train.parquet")).toBeUndefined();
    expect(await store.head("v2/manifest.json")).toBeUndefined();
  });

  it("a tampered object is StorageDigestMismatch and leaves nothing at the destination", async () => {
    const root = path.join(work, "bucket3");
    const store = localObjectStore(root);
    await uploadFolder(await versionDir("v3"), store, "v3");
    await writeFile(path.join(root, "v3/train.parquet"), "tampered");
    const parent = path.join(work, "down3");
    await mkdir(parent);
    const err = await failure(
      downloadVersion(store, "v3", path.join(parent, "v3")),
      StorageReason.StorageDigestMismatch,
    );
    expect(err.uri).toBe(path.join(root, "v3/train.parquet"));
    expect(await readdir(parent)).toEqual([]);
  });

  it("a size that differs from the manifest's is refused", async () => {
    const store = localObjectStore(path.join(work, "bucket4"));
    const dir = await versionDir("v4");
    const m = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as ManifestJson;
    m.files = m.files.map((f) => ({ ...f, size: f.size + 1 }));
    await writeFile(path.join(dir, "manifest.json"), JSON.stringify(m));
    await uploadFolder(dir, store, "v4");
    const err = await failure(
      downloadVersion(store, "v4", path.join(work, "down4")),
      StorageReason.StorageDigestMismatch,
    );
    expect(err.message).toMatch(/the manifest says/);
    expect(existsSync(path.join(work, "down4"))).toBe(false);
  });

  it.each([
    ["../outside", "a parent folder"],
    ["/etc/passwd", "an absolute path"],
    ["a/./b", "a dot segment"],
    ["manifest.json", "the manifest itself"],
  ])("a manifest listing %s (%s) is refused before anything is written", async (bad) => {
    const root = path.join(work, `bucket-evil-${sha(bad).slice(0, 8)}`);
    const store = localObjectStore(root);
    const manifest = {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      kind: "DataSet",
      files: [{ path: bad, sha256: sha("x"), size: 1 }],
    };
    await mkdir(path.join(root, "v"), { recursive: true });
    await writeFile(path.join(root, "v/manifest.json"), JSON.stringify(manifest));
    const parent = path.join(root, "..", `down-evil-${sha(bad).slice(0, 8)}`);
    await mkdir(parent);
    const err = await failure(downloadVersion(store, "v", path.join(parent, "v")), StorageReason.StorageDigestMismatch);
    expect(err.message).toMatch(/unsafe path/);
    expect(await readdir(parent)).toEqual([]);
  });

  it("a manifest that is not JSON, or lists no files, is refused", async () => {
    const root = path.join(work, "bucket5");
    const store = localObjectStore(root);
    await mkdir(path.join(root, "a"), { recursive: true });
    await writeFile(path.join(root, "a/manifest.json"), "{not json");
    await mkdir(path.join(root, "b"), { recursive: true });
    await writeFile(path.join(root, "b/manifest.json"), "{}");
    expect(
      (await failure(downloadVersion(store, "a", path.join(work, "d5a")), StorageReason.StorageDigestMismatch)).message,
    ).toMatch(/is not JSON/);
    expect(
      (await failure(downloadVersion(store, "b", path.join(work, "d5b")), StorageReason.StorageDigestMismatch)).message,
    ).toMatch(/lists no files/);
  });

  it("a prefix without a manifest is StorageNotFound: no version", async () => {
    const store = localObjectStore(path.join(work, "bucket6"));
    const err = await failure(
      downloadVersion(store, "nothing/here", path.join(work, "d6")),
      StorageReason.StorageNotFound,
    );
    expect(err.message).toMatch(/no version here \(no manifest\.json\)/);
  });
});

describe("removeUnreferenced", () => {
  it("deletes a manifest-less folder old enough, keeps complete versions, recent folders and loose objects", async () => {
    const root = path.join(work, "bucket-gc");
    const store = localObjectStore(root);
    await uploadFolder(await versionDir("gc-v"), store, "out/complete");
    for (const k of ["out/crashed/a", "out/crashed/sub/b", "out/recent/a", "out/loose"]) {
      await mkdir(path.dirname(path.join(root, k)), { recursive: true });
      await writeFile(path.join(root, k), "x");
    }
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const k of ["out/crashed/a", "out/crashed/sub/b", "out/loose", "out/complete/train.parquet"]) {
      await utimes(path.join(root, k), hourAgo, hourAgo);
    }
    await utimes(path.join(root, "out/complete/manifest.json"), hourAgo, hourAgo);
    await utimes(path.join(root, "out/complete/sub/stats.json"), hourAgo, hourAgo);
    expect((await removeUnreferenced(store, "out", 600_000)).sort()).toEqual(["out/crashed/a", "out/crashed/sub/b"]);
    const left: string[] = [];
    for await (const o of store.list("out/")) left.push(o.key);
    expect(left.sort()).toEqual([
      "out/complete/manifest.json",
      "out/complete/sub/stats.json",
      "out/complete/train.parquet",
      "out/loose",
      "out/recent/a",
    ]);
  });
});

describe("localObjectStore", () => {
  it("refuses a key that leaves its folder", async () => {
    const store = localObjectStore(path.join(work, "bucket-keys"));
    await failure(store.head("../x"), StorageReason.StorageNotFound);
    await failure(store.upload(__filename, "/abs"), StorageReason.StorageNotFound);
  });

  it("lists by string prefix, not only by folder", async () => {
    const store = localObjectStore(path.join(work, "bucket-ls"));
    const src = path.join(work, "ls-src");
    await writeFile(src, "x");
    for (const k of ["p/ab", "p/ac", "p/b", "q"]) await store.upload(src, k);
    const keys: string[] = [];
    for await (const o of store.list("p/a")) keys.push(o.key);
    expect(keys).toEqual(["p/ab", "p/ac"]);
  });
});
