// The storage layer against a real S3 server: SeaweedFS's weed (test/support/s3-server.ts; `bash
// hack/build-seaweedfs.sh` builds it, `npx tsx hack/setup.ts test` too). Slow (a server per file): npm test runs it,
// npm run check does not (vitest.check.config.ts).
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type StartedS3Server, startS3Server } from "../../../test/support/s3-server.js";
import { ARTIFACT_FORMAT_VERSION, type ManifestJson } from "../contract/artifacts.js";
import { StorageReason } from "../contract/storage-reasons.js";
import { StorageError } from "./errors.js";
import { type ObjectInfo, type ObjectStore, s3ObjectStore } from "./object-store.js";
import { s3ClientFromEnv, type VaultReader } from "./s3-client.js";
import { downloadVersion, removeUnreferenced, uploadFolder } from "./version-folder.js";

const MiB = 1024 * 1024;
let srv: StartedS3Server;
let work: string;

beforeAll(async () => {
  srv = await startS3Server();
  work = await mkdtemp(path.join(tmpdir(), "liftoff-storage-"));
}, 120_000);

afterAll(async () => {
  await srv?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** The pod env of an endpoint with the liftoff keys in the AWS variables (the default chain's first source). */
function envKeys(endpoint = srv.endpoint, keys = srv.keys.liftoff): NodeJS.ProcessEnv {
  return {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: keys.accessKeyId,
    AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
  };
}

async function store(env = envKeys(), o: Parameters<typeof s3ObjectStore>[2] = {}): Promise<ObjectStore> {
  return s3ObjectStore(await s3ClientFromEnv(env), srv.bucket, o);
}

async function file(name: string, bytes: Buffer): Promise<string> {
  const p = path.join(work, name);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, bytes);
  return p;
}

async function failure(p: Promise<unknown>): Promise<StorageError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StorageError);
  return err as StorageError;
}

describe("objects", () => {
  it("a round trip: the upload carries its sha256 as metadata and as the S3 checksum; the download verifies it", async () => {
    const s = await store();
    const data = randomBytes(100_000);
    const up = await s.upload(await file("rt/in", data), "rt/obj", { contentType: "application/octet-stream" });
    expect(up).toEqual({ sha256: sha(data), bytes: data.length });
    expect(await s.head("rt/obj")).toMatchObject({ key: "rt/obj", size: data.length, sha256: sha(data) });
    const h = await srv
      .client("admin")
      .send(new HeadObjectCommand({ Bucket: srv.bucket, Key: "rt/obj", ChecksumMode: "ENABLED" }));
    expect(h.ChecksumSHA256).toBe(Buffer.from(sha(data), "hex").toString("base64"));
    const dest = path.join(work, "rt/out/obj");
    expect(await s.download("rt/obj", dest, { expectedSha256: `sha256:${sha(data)}` })).toEqual(up);
    expect((await readFile(dest)).equals(data)).toBe(true);
    expect(await readdir(path.dirname(dest))).toEqual(["obj"]);
  });

  it("a 12 MiB object goes up in 5 MiB parts (multipart, a SHA256 checksum per part) and comes back intact", async () => {
    const s = await store(envKeys(), { partSize: 5 * MiB });
    const data = randomBytes(12 * MiB);
    await s.upload(await file("mp/in", data), "mp/obj");
    const h = await srv.client("admin").send(new HeadObjectCommand({ Bucket: srv.bucket, Key: "mp/obj" }));
    // A multipart ETag ends with the number of parts.
    expect(h.ETag).toMatch(/-3"$/);
    expect(h.Metadata?.sha256).toBe(sha(data));
    const dest = path.join(work, "mp/out");
    expect(await s.download("mp/obj", dest)).toEqual({ sha256: sha(data), bytes: data.length });
    expect(sha(await readFile(dest))).toBe(sha(data));
  });

  it("an empty file round-trips", async () => {
    const s = await store();
    const empty = Buffer.alloc(0);
    expect(await s.upload(await file("empty-in", empty), "empty/obj")).toEqual({ sha256: sha(empty), bytes: 0 });
    const dest = path.join(work, "empty-out");
    expect(await s.download("empty/obj", dest)).toEqual({ sha256: sha(empty), bytes: 0 });
    expect((await readFile(dest)).length).toBe(0);
  });

  it("open streams the bytes with the object's sha256", async () => {
    const s = await store();
    const data = randomBytes(70_000);
    await s.upload(await file("open/in", data), "open/obj");
    const o = await s.open("open/obj");
    const chunks: Buffer[] = [];
    for await (const c of o.body) chunks.push(Buffer.from(c));
    expect({ size: o.size, sha256: o.sha256 }).toEqual({ size: data.length, sha256: sha(data) });
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
  });

  it("lists under a prefix and deletes; head of a deleted key is undefined", async () => {
    const s = await store();
    const src = await file("ls/in", Buffer.from("x"));
    for (const k of ["ls/a/1", "ls/a/2", "ls/b/1"]) await s.upload(src, k);
    const keys = async (p: string) => {
      const out: ObjectInfo[] = [];
      for await (const o of s.list(p)) out.push(o);
      expect(out.every((o) => o.size === 1 && o.lastModified instanceof Date)).toBe(true);
      return out.map((o) => o.key).sort();
    };
    expect(await keys("ls/a/")).toEqual(["ls/a/1", "ls/a/2"]);
    await s.delete(["ls/a/1", "ls/a/2", "ls/never-was"]);
    expect(await keys("ls/")).toEqual(["ls/b/1"]);
    expect(await s.head("ls/a/1")).toBeUndefined();
  });

  it("an upload whose declared sha256 is not the file's is refused and leaves no object", async () => {
    const s = await store();
    const src = await file("decl/in", Buffer.from("the real bytes"));
    const err = await failure(s.upload(src, "decl/obj", { sha256: "0".repeat(64) }));
    expect(err.reason).toBe(StorageReason.StorageDigestMismatch);
    expect(await s.head("decl/obj")).toBeUndefined();
  });
});

describe("version folders", () => {
  /** A version folder as prepare and train write it: files and a manifest listing their sha256. */
  async function versionDir(name: string, files: Record<string, Buffer>): Promise<string> {
    const dir = path.join(work, name);
    const manifest: ManifestJson = {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      kind: "DataSet",
      files: Object.entries(files).map(([p, b]) => ({ path: p, sha256: sha(b), size: b.length })),
    };
    for (const [p, b] of Object.entries(files)) await file(path.join(name, p), b);
    await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest));
    return dir;
  }

  const FILES = { "train.parquet": randomBytes(3000), "sub/stats.json": Buffer.from('{"rows":3}') };

  it("uploadFolder uploads manifest.json last; downloadVersion brings back every file, verified", async () => {
    const s = await store();
    const order: string[] = [];
    const recording: ObjectStore = {
      describe: (k) => s.describe(k),
      head: (k) => s.head(k),
      open: (k) => s.open(k),
      download: (k, d, o) => s.download(k, d, o),
      list: (p) => s.list(p),
      delete: (k) => s.delete(k),
      upload: (src, key, o) => {
        order.push(key);
        return s.upload(src, key, o);
      },
    };
    const dir = await versionDir("v-up", FILES);
    await uploadFolder(dir, recording, "ds/v1/");
    expect(order.sort((a, b) => Number(a.endsWith("manifest.json")) - Number(b.endsWith("manifest.json")))).toEqual(
      order,
    );
    expect(order.at(-1)).toBe("ds/v1/manifest.json");
    expect([...order].sort()).toEqual(["ds/v1/manifest.json", "ds/v1/sub/stats.json", "ds/v1/train.parquet"]);
    const dest = path.join(work, "v-down");
    const got = await downloadVersion(s, "ds/v1", dest);
    const manifestBytes = await readFile(path.join(dir, "manifest.json"));
    expect(got.manifestSha256).toBe(sha(manifestBytes));
    expect(got.manifest.files.map((f) => f.path).sort()).toEqual(["sub/stats.json", "train.parquet"]);
    expect((await readFile(path.join(dest, "manifest.json"))).equals(manifestBytes)).toBe(true);
    expect((await readFile(path.join(dest, "train.parquet"))).equals(FILES["train.parquet"])).toBe(true);
    expect((await readFile(path.join(dest, "sub/stats.json"))).equals(FILES["sub/stats.json"])).toBe(true);
  });

  it("a tampered object fails downloadVersion with StorageDigestMismatch and leaves nothing at the destination", async () => {
    const s = await store();
    await uploadFolder(await versionDir("v-tamper", FILES), s, "tamper/v1");
    await srv
      .client("admin")
      .send(new PutObjectCommand({ Bucket: srv.bucket, Key: "tamper/v1/train.parquet", Body: randomBytes(3000) }));
    const parent = path.join(work, "tamper-dest");
    await mkdir(parent);
    const err = await failure(downloadVersion(s, "tamper/v1", path.join(parent, "v1")));
    expect(err.reason).toBe(StorageReason.StorageDigestMismatch);
    expect(err.message).toContain("s3://liftoff/tamper/v1/train.parquet");
    expect(await readdir(parent)).toEqual([]);
  });

  it("a prefix without manifest.json is no version (StorageNotFound)", async () => {
    const s = await store();
    await s.upload(await file("nov/x", Buffer.from("x")), "nov/v1/x");
    const err = await failure(downloadVersion(s, "nov/v1", path.join(work, "nov-dest")));
    expect(err.reason).toBe(StorageReason.StorageNotFound);
    expect(err.message).toMatch(/no version here/);
    expect(existsSync(path.join(work, "nov-dest"))).toBe(false);
  });

  it("a manifest naming a path outside the folder is refused before anything is written", async () => {
    const s = await store();
    const evil = {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      kind: "DataSet",
      files: [{ path: "../escape", sha256: "0".repeat(64), size: 1 }],
    };
    await s.upload(await file("evil/manifest.json", Buffer.from(JSON.stringify(evil))), "evil/v1/manifest.json");
    const parent = path.join(work, "evil-dest");
    await mkdir(parent);
    const err = await failure(downloadVersion(s, "evil/v1", path.join(parent, "v1")));
    expect(err.reason).toBe(StorageReason.StorageDigestMismatch);
    expect(err.message).toMatch(/unsafe path '..\/escape'/);
    expect(await readdir(parent)).toEqual([]);
    expect(existsSync(path.join(parent, "escape"))).toBe(false);
  });

  it("removeUnreferenced deletes the objects of a folder without a manifest only, once old enough", async () => {
    const s = await store();
    await uploadFolder(await versionDir("v-keep", FILES), s, "gc/complete");
    const src = await file("gc/part", Buffer.from("half a version"));
    await s.upload(src, "gc/crashed/train.parquet");
    await s.upload(src, "gc/crashed/sub/x");
    await s.upload(src, "gc/loose-object");
    // A writer may still be at work: an hour's grace keeps everything.
    expect(await removeUnreferenced(s, "gc", 3_600_000)).toEqual([]);
    expect((await removeUnreferenced(s, "gc/", 0)).sort()).toEqual(["gc/crashed/sub/x", "gc/crashed/train.parquet"]);
    const left: string[] = [];
    for await (const o of s.list("gc/")) left.push(o.key);
    expect(left.sort()).toEqual([
      "gc/complete/manifest.json",
      "gc/complete/sub/stats.json",
      "gc/complete/train.parquet",
      "gc/loose-object",
    ]);
  });
});

describe("faults, each a named StorageError", () => {
  it("a wrong secret and an unknown key id are StorageAccessDenied", async () => {
    const wrongSecret = await store(envKeys(srv.endpoint, { ...srv.keys.liftoff, secretAccessKey: "not-the-secret" }));
    const e1 = await failure(wrongSecret.download("x/y", path.join(work, "denied")));
    expect(e1.reason).toBe(StorageReason.StorageAccessDenied);
    expect(e1.message).toMatch(/^StorageAccessDenied: s3:\/\/liftoff\/x\/y: .*SignatureDoesNotMatch/);
    const unknown = await store(envKeys(srv.endpoint, { accessKeyId: "AKIANOSUCHKEY0000000", secretAccessKey: "s" }));
    const e2 = await failure(unknown.head("x/y"));
    expect(e2.reason).toBe(StorageReason.StorageAccessDenied);
    expect(existsSync(path.join(work, "denied"))).toBe(false);
  });

  it("a read-only identity's upload is StorageAccessDenied (a denied policy)", async () => {
    const ro = await store(envKeys(srv.endpoint, srv.keys.readonly));
    const err = await failure(ro.upload(await file("ro/in", Buffer.from("x")), "ro/obj"));
    expect(err.reason).toBe(StorageReason.StorageAccessDenied);
    expect(err.message).toMatch(/AccessDenied/);
  });

  it("a missing bucket and a missing key are StorageNotFound (head of a missing key is undefined)", async () => {
    const s = await store();
    const noBucket = s3ObjectStore(await s3ClientFromEnv(envKeys()), "no-such-bucket");
    for (const p of [noBucket.head("k"), noBucket.download("k", path.join(work, "nb"))]) {
      const err = await failure(p);
      expect(err.reason).toBe(StorageReason.StorageNotFound);
      expect(err.message).toMatch(/s3:\/\/no-such-bucket\/k: .*bucket/);
    }
    expect(await s.head("no/such/key")).toBeUndefined();
    const err = await failure(s.download("no/such/key", path.join(work, "nk")));
    expect(err.reason).toBe(StorageReason.StorageNotFound);
    expect(err.uri).toBe("s3://liftoff/no/such/key");
    expect(existsSync(path.join(work, "nk"))).toBe(false);
  });

  it("an endpoint nobody listens on is StorageUnreachable, naming the endpoint and the URI", async () => {
    const closed = await closedPort();
    const s = await store(envKeys(`http://127.0.0.1:${closed}`));
    const err = await failure(s.head("some/key"));
    expect(err.reason).toBe(StorageReason.StorageUnreachable);
    expect(err.message).toContain("s3://liftoff/some/key");
    expect(err.message).toContain(`http://127.0.0.1:${closed}`);
  });

  it("a download cut halfway resumes with a Range request from the bytes on disk, and the file is intact", async () => {
    const s = await store();
    const data = randomBytes(3 * MiB);
    await s.upload(await file("cut-in", data), "cut/obj");
    const proxy = await cuttingProxy(srv.endpoint, MiB, 1);
    try {
      const viaProxy = await store(envKeys(proxy.endpoint));
      const dest = path.join(work, "cut/out");
      expect(await viaProxy.download("cut/obj", dest)).toEqual({ sha256: sha(data), bytes: data.length });
      expect(sha(await readFile(dest))).toBe(sha(data));
      expect(proxy.cuts()).toBe(1);
      const ranges = proxy.ranges();
      expect(ranges).toHaveLength(1);
      expect(ranges[0]).toBeGreaterThan(0);
      expect(ranges[0]).toBeLessThan(data.length);
      expect(await readdir(path.dirname(dest))).toEqual(["out"]);
    } finally {
      await proxy.close();
    }
  });

  it("a download cut right after the response headers (no byte on disk yet) starts again and is intact", async () => {
    const s = await store();
    const data = randomBytes(MiB);
    await s.upload(await file("cut0-in", data), "cut0/obj");
    const proxy = await cuttingProxy(srv.endpoint, 0, 1);
    try {
      const viaProxy = await store(envKeys(proxy.endpoint));
      const dest = path.join(work, "cut0/out");
      expect(await viaProxy.download("cut0/obj", dest)).toEqual({ sha256: sha(data), bytes: data.length });
      expect(proxy.cuts()).toBe(1);
      expect(proxy.ranges()).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("a download cut every time fails after bounded resumes and leaves no file", async () => {
    const s = await store();
    await s.upload(await file("cut2/in", randomBytes(2 * MiB)), "cut2/obj");
    const proxy = await cuttingProxy(srv.endpoint, 256 * 1024, Number.POSITIVE_INFINITY);
    try {
      const viaProxy = await store(envKeys(proxy.endpoint), { maxResumes: 2 });
      const dir = path.join(work, "cut2-out");
      const err = await failure(viaProxy.download("cut2/obj", path.join(dir, "obj")));
      expect(err.reason).toBe(StorageReason.StorageTransferFailed);
      expect(err.message).toMatch(/cut 3 times/);
      expect(proxy.cuts()).toBe(3);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("a big object comes down in parallel ranged parts; a part cut in the middle resumes from its bytes on disk", async () => {
    const s = await store();
    const data = randomBytes(20 * MiB);
    await s.upload(await file("parts/in", data), "parts/obj");
    // 4 MiB parts, 4 in flight: parts 0 (from the first GET) … 4; the middle one (8 MiB) is cut after 1 MiB.
    const proxy = await cuttingProxy(srv.endpoint, MiB, 1, 8 * MiB);
    try {
      const viaProxy = await store(envKeys(proxy.endpoint), { partSize: 4 * MiB, downloadParallel: 4 });
      const dest = path.join(work, "parts/out/obj");
      expect(await viaProxy.download("parts/obj", dest, { expectedSha256: sha(data) })).toEqual({
        sha256: sha(data),
        bytes: data.length,
      });
      expect(sha(await readFile(dest))).toBe(sha(data));
      expect(proxy.cuts()).toBe(1);
      const ranges = proxy.ranges();
      for (const part of [4, 8, 12, 16]) expect(ranges).toContain(part * MiB);
      const resumes = ranges.filter((r) => r % (4 * MiB) !== 0);
      expect(resumes).toHaveLength(1);
      expect(resumes[0]).toBeGreaterThan(8 * MiB);
      expect(resumes[0]).toBeLessThan(12 * MiB);
      expect(await readdir(path.dirname(dest))).toEqual(["obj"]);
    } finally {
      await proxy.close();
    }
  });

  it("a big object replaced while its parts come down fails (If-Match on the first ETag) and leaves no file", async () => {
    const s = await store();
    await s.upload(await file("parts3/in", randomBytes(12 * MiB)), "parts3/obj");
    const client = await s3ClientFromEnv(envKeys());
    let replaced = false;
    // Before the first ranged GET leaves, another writer replaces the object on the server.
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Range?: string };
        if (input.Range && !replaced) {
          replaced = true;
          await srv
            .client("admin")
            .send(new PutObjectCommand({ Bucket: srv.bucket, Key: "parts3/obj", Body: randomBytes(12 * MiB) }));
        }
        return next(args);
      },
      { step: "initialize" },
    );
    const dir = path.join(work, "parts3-out");
    const err = await failure(
      s3ObjectStore(client, srv.bucket, { partSize: 4 * MiB, downloadParallel: 2 }).download(
        "parts3/obj",
        path.join(dir, "obj"),
      ),
    );
    expect(replaced).toBe(true);
    expect(err.reason).toBe(StorageReason.StorageTransferFailed);
    expect(err.message).toMatch(/changed while it was being downloaded/);
    expect(await readdir(dir)).toEqual([]);
  });

  it("a big object whose parts are cut every time fails after bounded resumes and leaves no file", async () => {
    const s = await store();
    await s.upload(await file("parts2/in", randomBytes(8 * MiB)), "parts2/obj");
    const proxy = await cuttingProxy(srv.endpoint, 256 * 1024, Number.POSITIVE_INFINITY);
    try {
      const viaProxy = await store(envKeys(proxy.endpoint), { partSize: MiB, downloadParallel: 4, maxResumes: 2 });
      const dir = path.join(work, "parts2-out");
      const err = await failure(viaProxy.download("parts2/obj", path.join(dir, "obj")));
      expect(err.reason).toBe(StorageReason.StorageTransferFailed);
      expect(err.message).toMatch(/cut 3 times/);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});

describe("credentials", () => {
  const vaultEnv = (extra: Record<string, string>) => ({ AWS_ENDPOINT_URL_S3: srv.endpoint, ...extra });

  it("from a Vault KV secret (LIFTOFF_S3_VAULT_KV_PATH)", async () => {
    const paths: string[] = [];
    const vault: VaultReader = {
      readKvData: async (p) => {
        paths.push(p);
        return { accessKeyId: srv.keys.liftoff.accessKeyId, secretAccessKey: srv.keys.liftoff.secretAccessKey };
      },
    };
    const client = await s3ClientFromEnv(vaultEnv({ LIFTOFF_S3_VAULT_KV_PATH: "secret/data/liftoff/s3" }), vault);
    const s = s3ObjectStore(client, srv.bucket);
    await s.upload(await file("kv/in", Buffer.from("kv")), "kv/obj");
    expect(await s.head("kv/obj")).toMatchObject({ size: 2 });
    expect(paths).toEqual(["secret/data/liftoff/s3"]);
  });

  it("from the Vault AWS secrets engine (LIFTOFF_S3_VAULT_AWS_PATH), read once per lease, not once per request", async () => {
    const reads = { short: 0, long: 0 };
    const engine = (which: keyof typeof reads, lease: number): VaultReader => ({
      readKvData: async () => {
        throw new Error("not a KV path");
      },
      read: async () => {
        reads[which] += 1;
        return {
          lease_duration: lease,
          data: {
            access_key: srv.keys.liftoff.accessKeyId,
            secret_key: srv.keys.liftoff.secretAccessKey,
            security_token: null,
          },
        };
      },
    });
    await srv.client().send(new PutObjectCommand({ Bucket: srv.bucket, Key: "aws/obj", Body: "x" }));
    for (const [which, lease] of [
      ["short", 60],
      ["long", 3600],
    ] as const) {
      const client = await s3ClientFromEnv(
        vaultEnv({ LIFTOFF_S3_VAULT_AWS_PATH: "aws/creds/liftoff" }),
        engine(which, lease),
      );
      const s = s3ObjectStore(client, srv.bucket);
      for (let i = 0; i < 3; i++) expect(await s.head("aws/obj")).toMatchObject({ size: 1 });
    }
    // A 60 s lease is within the SDK's five-minute refresh window, where it asks for keys on every request: the keys
    // in hand answer (the engine would mint new ones per read). cachedCredentials' test covers the refresh itself.
    expect(reads).toEqual({ short: 1, long: 1 });
  });

  it("from the AWS variables of the default chain (process.env), with AWS_ENDPOINT_URL_S3", async () => {
    vi.stubEnv("AWS_ACCESS_KEY_ID", srv.keys.liftoff.accessKeyId);
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", srv.keys.liftoff.secretAccessKey);
    try {
      const s = s3ObjectStore(await s3ClientFromEnv({ AWS_ENDPOINT_URL_S3: srv.endpoint }), srv.bucket);
      await s.upload(await file("chain/in", Buffer.from("chain")), "chain/obj");
      expect(await s.head("chain/obj")).toMatchObject({ size: 5 });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

/** A port that was free a moment ago (listened on, then closed): connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A TCP proxy to `target` that, `times` times, closes a connection once `cutAfter` bytes of a response's body went
 * through it (right after the header block for 0), only for requests whose Range starts at `onlyFrom` when given;
 * it records the Range of every request it forwards.
 */
async function cuttingProxy(target: string, cutAfter: number, times: number, onlyFrom?: number) {
  const url = new URL(target);
  let cuts = 0;
  const ranges: number[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(url.port), url.hostname);
    sockets.add(client).add(upstream);
    // Body bytes forwarded on this connection; undefined until the first header block has passed.
    let body: number | undefined;
    // The Range start of the request being answered on this connection (keep-alive: one after the other).
    let from: number | undefined;
    client.on("data", (d: Buffer) => {
      const text = d.toString("latin1");
      if (/^[A-Z]+ \S+ HTTP\/1\.1\r\n/.test(text)) {
        from = undefined;
        body = undefined;
      }
      for (const m of text.matchAll(/^range: bytes=(\d+)-/gim)) {
        from = Number(m[1]);
        ranges.push(from);
      }
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => {
      let offset = 0;
      if (body === undefined) {
        const end = d.indexOf("\r\n\r\n");
        if (end < 0) return void client.write(d);
        offset = end + 4;
        body = 0;
      }
      if (cuts < times && (onlyFrom === undefined || from === onlyFrom) && body + (d.length - offset) > cutAfter) {
        client.write(d.subarray(0, offset + Math.max(0, cutAfter - body)));
        cuts += 1;
        client.destroy();
        upstream.destroy();
        return;
      }
      body += d.length - offset;
      client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    cuts: () => cuts,
    ranges: () => ranges,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
