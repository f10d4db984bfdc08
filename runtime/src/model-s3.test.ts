// stageS3Model against a real S3 server (SeaweedFS's weed, test/support/s3-server.ts): what lands on local disk and
// under which digest, the node cache on a second stage, and the refusals (nothing at the key, a manifest that does
// not match, a pinned digest that is none of the staged model's).
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedS3Server, startS3Server } from "../../test/support/s3-server.js";
import { ModelCache } from "./model-cache.js";
import { type S3Location, type StoreFor, stageS3Model } from "./model-s3.js";
import { savedModelDigest } from "./savedmodel-artifact.js";
import { StorageError } from "./storage/errors.js";
import { type ObjectStore, s3ObjectStore } from "./storage/object-store.js";
import { uploadFolder } from "./storage/version-folder.js";

const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

let s3: StartedS3Server;
let store: ObjectStore;
let storeFor: StoreFor;
let work: string;

const at = (key: string): S3Location => ({ kind: "s3", uri: `s3://liftoff/${key}`, bucket: "liftoff", key });

async function put(key: string, body: string | Uint8Array): Promise<void> {
  const file = path.join(work, `up-${sha(key)}`);
  await writeFile(file, body);
  await store.upload(file, key);
}

beforeAll(async () => {
  s3 = await startS3Server();
  store = s3ObjectStore(s3.client(), s3.bucket);
  storeFor = async () => store;
  work = await mkdtemp(path.join(tmpdir(), "liftoff-model-s3-"));
  await put("one/model.onnx", "onnx bytes");
  await put("one/tokenizer.json", '{"vocab":{}}');
}, 120_000);

afterAll(async () => {
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StorageError) return `${err.reason}: ${err.message}`;
    throw err;
  }
  throw new Error("staged, but should have been refused");
}

describe("stageS3Model", () => {
  it("downloads one object (and its declared side files) into the node cache, then finds it there", async () => {
    const cache = new ModelCache({ dir: path.join(work, "cache-1"), maxBytes: 1 << 30 });
    const o = { store: storeFor, cache, fileName: "model.onnx", beside: ["tokenizer.json"] };
    const first = await stageS3Model(at("one/model.onnx"), undefined, o);
    expect(first).toMatchObject({ digest: sha("onnx bytes"), singleFile: true, cacheHit: false });
    expect(await readFile(first.path, "utf8")).toBe("onnx bytes");
    expect(await readFile(path.join(path.dirname(first.path), "tokenizer.json"), "utf8")).toBe('{"vocab":{}}');
    // The second finds the object's sha256 (its metadata) in the cache: nothing downloaded.
    const second = await stageS3Model(at("one/model.onnx"), undefined, o);
    expect(second).toMatchObject({ path: first.path, cacheHit: true, downloadSeconds: 0 });
  });

  it("downloads a TF.js folder below the entry's top, named by its manifest's sha256 or a pinned TF.js digest", async () => {
    const dir = path.join(work, "tfjs");
    await mkdir(dir);
    const modelJson = JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ["w.bin"], weights: [] }] });
    await writeFile(path.join(dir, "model.json"), modelJson);
    await writeFile(path.join(dir, "w.bin"), "weights");
    const manifest = JSON.stringify({
      formatVersion: 1,
      kind: "TrainingJob",
      files: [
        { path: "model.json", sha256: sha(modelJson), bytes: modelJson.length },
        { path: "w.bin", sha256: sha("weights"), bytes: 7 },
      ],
    });
    await writeFile(path.join(dir, "manifest.json"), manifest);
    await uploadFolder(dir, store, "tfjs/m");
    const cache = new ModelCache({ dir: path.join(work, "cache-2"), maxBytes: 1 << 30 });
    const staged = await stageS3Model(at("tfjs/m/"), undefined, { store: storeFor, cache });
    expect(staged).toMatchObject({ digest: sha(manifest), singleFile: false, cacheHit: false });
    expect((await readdir(staged.path)).sort()).toEqual(["manifest.json", "model.json", "w.bin"]);
    const tfjs = sha(Buffer.concat([Buffer.from(modelJson), Buffer.from("weights")]));
    const pinned = await stageS3Model(at("tfjs/m/model.json"), tfjs, { store: storeFor });
    expect(pinned).toMatchObject({ digest: tfjs, cacheHit: false });
    expect(path.basename(pinned.path)).toBe("model.json");
    await pinned.release();
  });

  it("names a SavedModel folder by the SavedModel digest of exactly its files", async () => {
    await put("sm/saved_model.pb", "pb");
    await put("sm/variables/variables.index", "index");
    const cache = new ModelCache({ dir: path.join(work, "cache-3"), maxBytes: 1 << 30 });
    const staged = await stageS3Model(at("sm"), undefined, { store: storeFor, cache });
    expect(staged.digest).toBe(await savedModelDigest(staged.path));
    expect((await readdir(staged.path)).sort()).toEqual(["saved_model.pb", "variables"]);
  });

  it("refuses nothing at the key, a file that does not match the manifest, and a pinned digest it does not have", async () => {
    expect(await reason(stageS3Model(at("nothing/here.onnx"), undefined, { store: storeFor }))).toMatch(
      /^StorageNotFound: StorageNotFound: s3:\/\/liftoff\/nothing\/here\.onnx: no object at this key/,
    );
    await put("bad/model.json", "{}");
    await put("bad/manifest.json", JSON.stringify({ files: [{ path: "model.json", sha256: sha("other") }] }));
    expect(await reason(stageS3Model(at("bad/"), undefined, { store: storeFor }))).toContain(
      "StorageDigestMismatch: s3://liftoff/bad/: model.json does not match its sha256 in manifest.json",
    );
    const wrong = "f".repeat(64);
    const cache = new ModelCache({ dir: path.join(work, "cache-4"), maxBytes: 1 << 30 });
    expect(
      await reason(stageS3Model(at("one/model.onnx"), wrong, { store: storeFor, cache, fileName: "model.onnx" })),
    ).toContain(`expected sha256:${wrong}, got sha256:${sha("onnx bytes")}; refusing to serve`);
    // Nothing unverified is left in the cache under any name.
    expect((await readdir(path.join(work, "cache-4"))).filter((n) => !n.startsWith("."))).toEqual([]);
  });
});
