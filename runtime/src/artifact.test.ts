import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fetchArtifact, resolveModelUri } from "./artifact.js";
import { EgressError, parseEgressAllow } from "./net/egress.js";
import { loadBaseline } from "./serve/monitoring/baseline-source.js";
import { saveLayersModel, tempDir, tinyDense } from "./serve/test-helpers.js";

describe("resolveModelUri", () => {
  it.each([
    ["models/m/model.json", { kind: "file", path: "/srv/models/m/model.json" }],
    ["/abs/model.json", { kind: "file", path: "/abs/model.json" }],
    ["file:///abs/dir", { kind: "file", path: "/abs/dir" }],
    ["pvc://claim/models/m", { kind: "file", path: "/mnt/pvc/claim/models/m" }],
  ])("%s", (uri, want) => {
    expect(resolveModelUri(uri, "/mnt/pvc", "/srv")).toEqual(want);
  });

  it("resolves s3://<bucket>/<key> to the object (staged later by model-s3.ts)", () => {
    expect(resolveModelUri("s3://models/churn/model.onnx", "/mnt/pvc")).toEqual({
      kind: "s3",
      uri: "s3://models/churn/model.onnx",
      bucket: "models",
      key: "churn/model.onnx",
    });
  });

  it("resolves http(s) to a URL", () => {
    const loc = resolveModelUri("https://models.example/m/model.json", "/mnt/pvc");
    expect(loc.kind === "http" && loc.url.href).toBe("https://models.example/m/model.json");
  });

  it.each([
    ["pvc://claim", "model URI 'pvc://claim' must look like pvc://<claim>/<path>"],
    ["pvc:///path", "model URI 'pvc:///path' must look like pvc://<claim>/<path>"],
    ["pvc://claim/../etc", "model URI 'pvc://claim/../etc' must not contain '..'"],
    ["gs://bucket/m", "model URI scheme 'gs://' is not supported (use a path, file://, pvc://, http(s):// or s3://)"],
    ["s3://bucket", "model URI 's3://bucket' must look like s3://<bucket>/<key>"],
    ["s3://Bad_Bucket/m.onnx", "model URI 's3://Bad_Bucket/m.onnx' must look like s3://<bucket>/<key>"],
    ["file://host/x", "model URI 'file://host/x' is not a valid absolute file:// URI"],
  ])("rejects %s", (uri, message) => {
    expect(() => resolveModelUri(uri, "/mnt/pvc")).toThrow(message);
  });
});

/** Serves dir's files on 127.0.0.1, counting requests per file name; `answer` may replace a file's bytes. */
async function serveFolder(dir: string, answer: (name: string, n: number) => string | undefined = () => undefined) {
  const requests = new Map<string, number>();
  const server = createServer((req, res) => {
    const name = path.basename(req.url ?? "");
    const n = (requests.get(name) ?? 0) + 1;
    requests.set(name, n);
    const replaced = answer(name, n);
    if (replaced !== undefined) return void res.end(replaced);
    readFile(path.join(dir, name))
      .then((b) => res.end(b))
      .catch(() => {
        res.statusCode = 404;
        res.end();
      });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, port: (server.address() as AddressInfo).port, requests };
}

describe("fetchArtifact", () => {
  const setup = async () => {
    const dir = await tempDir();
    const json = await saveLayersModel(tinyDense(), dir);
    const expected = createHash("sha256")
      .update(await readFile(json))
      .update(await readFile(path.join(dir, "weights.bin")))
      .digest("hex");
    return { dir, json, expected };
  };

  it("digests model.json followed by the weight files (cat model.json weights | sha256sum)", async () => {
    const { dir, json, expected } = await setup();
    const a = await fetchArtifact({ kind: "file", path: json }, expected);
    expect(a.digest).toBe(expected);
    expect(a.weightFiles).toHaveLength(1);
    // A directory means its model.json.
    expect((await fetchArtifact({ kind: "file", path: dir }, undefined)).digest).toBe(expected);
  });

  it("refuses a digest mismatch", async () => {
    const { json, expected } = await setup();
    const wrong = "0".repeat(64);
    await expect(fetchArtifact({ kind: "file", path: json }, wrong)).rejects.toThrow(
      `model digest mismatch: expected sha256:${wrong}, got sha256:${expected}; refusing to serve`,
    );
  });

  it("refuses a tampered weight file", async () => {
    const { dir, json, expected } = await setup();
    const weights = await readFile(path.join(dir, "weights.bin"));
    weights[0] = (weights[0] ?? 0) ^ 1;
    await writeFile(path.join(dir, "weights.bin"), weights);
    await expect(fetchArtifact({ kind: "file", path: json }, expected)).rejects.toThrow("model digest mismatch");
  });

  it("loads over http with the same digest", async () => {
    const { dir, expected } = await setup();
    const { server, port } = await serveFolder(dir);
    try {
      const loc = resolveModelUri(`http://127.0.0.1:${port}/m/model.json`, "/mnt/pvc");
      // A local server is loopback, which the egress policy refuses unless the allow-list opens it.
      const egress = parseEgressAllow("127.0.0.1");
      expect((await fetchArtifact(loc, expected, { egress })).digest).toBe(expected);
      const missing = resolveModelUri(`http://127.0.0.1:${port}/m/none.json`, "/mnt/pvc");
      await expect(fetchArtifact(missing, undefined, { egress })).rejects.toThrow(
        `cannot fetch http://127.0.0.1:${port}/m/none.json: HTTP 404`,
      );
      // Without the allow-list, the same server is refused.
      await expect(fetchArtifact(loc, expected)).rejects.toThrow(
        /connecting to 127\.0\.0\.1 is refused: it is a loopback address/,
      );
    } finally {
      server.close();
    }
  });

  it("finding: the digest and the manifest are checked on the bytes that are loaded (each file read once, preprocessing.json covered)", async () => {
    const { dir } = await setup();
    const sha = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");
    const pre = JSON.stringify({ featureNames: ["a"] });
    await writeFile(path.join(dir, "preprocessing.json"), pre);
    const files = await Promise.all(
      ["model.json", "weights.bin", "preprocessing.json"].map(async (f) => {
        const b = await readFile(path.join(dir, f));
        return { path: f, sha256: sha(b), size: b.byteLength };
      }),
    );
    const manifest = JSON.stringify({ formatVersion: 1, kind: "TrainingJob", files });
    await writeFile(path.join(dir, "manifest.json"), manifest);
    // A server that answers each file right once and then something else: a second read of any file is a swap.
    const { server, port, requests } = await serveFolder(dir, (name, n) =>
      n > 1 ? (name === "preprocessing.json" ? JSON.stringify({ featureNames: ["evil"] }) : "x") : undefined,
    );
    try {
      const loc = resolveModelUri(`http://127.0.0.1:${port}/m/model.json`, "/mnt/pvc");
      const a = await fetchArtifact(loc, sha(manifest), { egress: parseEgressAllow("127.0.0.1") });
      expect(a.preprocessing).toEqual({ featureNames: ["a"] });
      expect(Buffer.from(a.weightFiles[0] ?? []).equals(await readFile(path.join(dir, "weights.bin")))).toBe(true);
      expect(Object.fromEntries(requests)).toEqual({
        "model.json": 1,
        "weights.bin": 1,
        "manifest.json": 1,
        "preprocessing.json": 1,
      });
    } finally {
      server.close();
    }
    // Pinned by the model.json + weights digest instead, preprocessing.json is not covered: refused, not served.
    const modelDigest = sha(
      Buffer.concat([await readFile(path.join(dir, "model.json")), await readFile(path.join(dir, "weights.bin"))]),
    );
    await expect(fetchArtifact({ kind: "file", path: dir }, modelDigest)).rejects.toThrow(
      "preprocessing.json next to the model is not covered by the model.json + weights digest",
    );
  });

  it("rejects missing files, non-JSON and weight paths that leave the model directory", async () => {
    const dir = await tempDir();
    await expect(fetchArtifact({ kind: "file", path: path.join(dir, "nope") }, undefined)).rejects.toThrow(
      `the model path does not exist: ${path.join(dir, "nope")}`,
    );
    await writeFile(path.join(dir, "model.json"), "not json");
    await expect(fetchArtifact({ kind: "file", path: dir }, undefined)).rejects.toThrow("model.json is not valid JSON");
    await writeFile(
      path.join(dir, "model.json"),
      JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ["../../etc/passwd"], weights: [] }] }),
    );
    await expect(fetchArtifact({ kind: "file", path: dir }, undefined)).rejects.toThrow(
      "weight path '../../etc/passwd' leaves the model directory",
    );
  });
});

describe("egress of model and baseline URLs (issue #24)", () => {
  it.each([
    ["http://169.254.169.254/latest/model.json", /it is a cloud metadata address/],
    ["http://[fd00:ec2::254]/model.json", /it is a cloud metadata address/],
    ["http://10.96.0.1/model.json", /it is a private address/],
    ["http://models.ml.svc.cluster.local/model.json", /a name of the cluster's own network/],
  ])("finding: a model weight / base-model URL %s is refused by default (EgressRefused)", async (uri, why) => {
    const err = await fetchArtifact(resolveModelUri(uri, "/mnt/pvc"), undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EgressError);
    expect((err as EgressError).reason).toBe("EgressRefused");
    expect((err as Error).message).toMatch(why);
  });

  it("finding: a drift baseline URL on the metadata address is refused by default; serving goes on, drift says why", async () => {
    const state = await loadBaseline(resolveModelUri("http://169.254.169.254/stats.json", "/mnt/pvc"));
    expect(state).toEqual({
      error: expect.stringMatching(/^EgressRefused: connecting to 169\.254\.169\.254 is refused/),
    });
  });
});
