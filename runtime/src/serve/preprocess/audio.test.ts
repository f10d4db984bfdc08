import { describe, expect, it } from "vitest";
import { ConfigError, RuntimeError } from "../../errors.js";
import type { Signature, Tensor } from "../model/loaded-model.js";
import { type AudioSpec, audioPreprocessor } from "./audio.js";
import { wavFile } from "./wav-fixture.js";

/** Silero VAD's sequence variant, as onnx.ts reads it. */
const SILERO: Signature = {
  inputs: [
    { name: "input", dtype: "float32", shape: [-1, 576] },
    { name: "h", dtype: "float32", shape: [1, 1, 128] },
    { name: "c", dtype: "float32", shape: [1, 1, 128] },
  ],
  outputs: [{ name: "speech_probs", dtype: "float32", shape: [-1] }],
  batched: false,
};
const SILERO_SPEC: AudioSpec = {
  input: "input",
  sampleRate: 16000,
  maxSeconds: 20,
  framing: { frame: 512, context: 64 },
  zeros: ["h", "c"],
};
/** A classifier of one-second clips at 8 kHz. */
const CLIPS: Signature = {
  inputs: [{ name: "audio", dtype: "float32", shape: [-1, 8000] }],
  outputs: [{ name: "p", dtype: "float32", shape: [-1, 2] }],
  batched: true,
};

const ramp = (n: number) => Array.from({ length: n }, (_, i) => (i % 2000) - 1000);
const rejection = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RuntimeError);
  expect((err as RuntimeError).statusCode).toBe(400);
  return (err as RuntimeError).message;
};

describe("audioPreprocessor: framing for a sequence model (Silero VAD)", () => {
  const pre = audioPreprocessor(SILERO_SPEC, SILERO);

  it("takes one BYTES element and produces the samples and the zero state", () => {
    expect(pre.input).toEqual({ name: "input", dtype: "bytes", shape: [1] });
    expect(pre.produces).toEqual(["input", "h", "c"]);
  });

  it("cuts 16 kHz audio into 512-sample frames after the previous frame's last 64 (zeros first, last frame padded)", async () => {
    const n = 1300;
    const [rows, h, c] = await pre.run([wavFile({ sampleRate: 16000, samples: ramp(n) })]);
    expect(rows?.shape).toEqual([3, 576]);
    const x = rows?.data as Float32Array;
    const sample = (i: number) => Math.fround(((i % 2000) - 1000) / 32768);
    // Frame f's samples sit after its 64 context samples; its context is frame f−1's last 64.
    expect(Array.from(x.subarray(0, 64))).toEqual(new Array(64).fill(0));
    expect(x[64]).toBe(sample(0));
    expect(x[576 + 0]).toBe(sample(512 - 64));
    expect(x[576 + 63]).toBe(sample(511));
    expect(x[576 + 64]).toBe(sample(512));
    expect(x[2 * 576 + 64 + (n - 1024 - 1)]).toBe(sample(n - 1));
    expect(Array.from(x.subarray(2 * 576 + 64 + (n - 1024)))).toEqual(new Array(1536 - n).fill(0));
    for (const z of [h, c]) {
      expect(z?.shape).toEqual([1, 1, 128]);
      expect(((z as Tensor).data as Float32Array).every((v) => v === 0)).toBe(true);
    }
  });

  it("resamples a 48 kHz stereo file to 16 kHz mono first", async () => {
    const [rows] = await pre.run([wavFile({ sampleRate: 48000, channels: 2, samples: ramp(2 * 4800) })]);
    // 4800 frames at 48 kHz = 1600 samples at 16 kHz = 4 frames (the last padded).
    expect(rows?.shape).toEqual([4, 576]);
  });

  it("refuses more than one file, a bad file (naming the item) and a file over maxSeconds", async () => {
    const wav = wavFile({ samples: ramp(100) });
    expect(await rejection(pre.run([wav, wav]))).toBe(
      "input 'input' takes one WAV file per request (its frames are one sequence), got 2",
    );
    expect(await rejection(pre.run([wavFile({ samples: ramp(100), format: 7 })]))).toMatch(
      /^input 'input' row 0: unsupported codec: format 0x0007 \(µ-law\)/,
    );
    expect(await rejection(pre.run([wavFile({ sampleRate: 1000, samples: ramp(21000) })]))).toBe(
      "input 'input' row 0: the audio is 21.00 s long; the limit is 20 s (maxSeconds)",
    );
    expect(await rejection(pre.run([wavFile({ sampleRate: 44101, samples: ramp(100) })]))).toMatch(
      /^input 'input' row 0: resampling 44101 Hz to 16000 Hz needs the ratio/,
    );
    expect(await rejection(pre.run([]))).toBe("input 'input' has no WAV file");
  });
});

describe("audioPreprocessor: one row per file without framing", () => {
  const pre = audioPreprocessor({ input: "audio", sampleRate: 8000, maxSeconds: 2 }, CLIPS);

  it("stacks files of the model's length into a batch", async () => {
    expect(pre.input).toEqual({ name: "audio", dtype: "bytes", shape: [-1] });
    expect(pre.produces).toEqual(["audio"]);
    const one = wavFile({ sampleRate: 8000, samples: ramp(8000) });
    const two = wavFile({ sampleRate: 16000, samples: ramp(16000) });
    const [rows] = await pre.run([one, two]);
    expect(rows?.shape).toEqual([2, 8000]);
    expect(((rows as Tensor).data as Float32Array)[10]).toBe(Math.fround(-990 / 32768));
  });

  it("refuses a file of another length than the model takes, naming it", async () => {
    const short = wavFile({ sampleRate: 8000, samples: ramp(7999) });
    expect(await rejection(pre.run([wavFile({ sampleRate: 8000, samples: ramp(8000) }), short]))).toBe(
      "input 'audio' row 1: 7999 samples at 8000 Hz, but the model takes 8000",
    );
  });
});

describe("audioPreprocessor: a spec that does not fit the model is a ConfigError at load", () => {
  const cases: [string, AudioSpec, RegExp][] = [
    [
      "unknown input",
      { ...SILERO_SPEC, input: "wave" },
      /preprocessing.audio.input 'wave' is not an input of the model \(input, h, c\)/,
    ],
    ["bad rate", { ...SILERO_SPEC, sampleRate: 0 }, /sampleRate must be an integer from 1 to 768000 Hz, got 0/],
    ["bad maxSeconds", { ...SILERO_SPEC, maxSeconds: -1 }, /maxSeconds must be above 0 and at most 3600, got -1/],
    [
      "frame width",
      { ...SILERO_SPEC, framing: { frame: 512, context: 32 } },
      /takes rows of 576 samples, not frame \+ context = 544/,
    ],
    ["context > frame", { ...SILERO_SPEC, framing: { frame: 16, context: 32 } }, /context from 0 to frame/],
    ["zeros unknown", { ...SILERO_SPEC, zeros: ["state"] }, /preprocessing.audio.zeros input 'state' is not an input/],
    ["zeros twice", { ...SILERO_SPEC, zeros: ["h", "h"] }, /preprocessing.audio.zeros names 'h' twice/],
    [
      "zeros the audio",
      { ...SILERO_SPEC, zeros: ["input"] },
      /preprocessing.audio.zeros names the audio input 'input' itself/,
    ],
  ];
  for (const [what, spec, message] of cases) {
    it(what, () => {
      expect(() => audioPreprocessor(spec, SILERO)).toThrow(ConfigError);
      expect(() => audioPreprocessor(spec, SILERO)).toThrow(message);
    });
  }
  it("without `input`, the samples go to the only input the zeros leave", () => {
    const { input: _, ...unnamed } = SILERO_SPEC;
    expect(audioPreprocessor(unnamed, SILERO).produces).toEqual(["input", "h", "c"]);
    expect(() => audioPreprocessor({ ...unnamed, zeros: ["h"] }, SILERO)).toThrow(
      "preprocessing.audio.input must name one of the model's inputs (input, h, c)",
    );
  });
  it("zeros need a fixed shape; the audio input a float32 rank-2 one", () => {
    const state: Signature = {
      ...SILERO,
      inputs: [...SILERO.inputs.slice(0, 1), { name: "h", dtype: "float32", shape: [-1, 128] }],
    };
    expect(() => audioPreprocessor({ ...SILERO_SPEC, zeros: ["h"] }, state)).toThrow(
      /'h' has unknown dimensions \[-1, 128\]/,
    );
    const ints: Signature = { ...CLIPS, inputs: [{ name: "audio", dtype: "int32", shape: [-1, 8000] }] };
    expect(() => audioPreprocessor({ input: "audio", sampleRate: 8000, maxSeconds: 1 }, ints)).toThrow(
      /must be a float32 model input of rank 2, but it is int32 \[-1, 8000\]/,
    );
  });
});
