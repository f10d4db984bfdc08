/**
 * Declared audio preprocessing: a client sends WAV files' bytes; the model gets mono float32 samples at its own
 * rate (wav.ts decodes, resample.ts converts), either one row per file or, for a sequence model such as Silero
 * VAD, one file cut into frames that each carry the previous frame's last samples. Model inputs that only need
 * zeros (a recurrent model's initial state) are answered too, so a request carries nothing but the file.
 */
import type { AudioPreprocessing } from "../../contract/processing.js";
import { ConfigError, errors } from "../../errors.js";
import { DTYPE_INFO } from "../dtypes.js";
import type { Signature, Tensor, TensorSpec } from "../model/loaded-model.js";
import type { Preprocessor } from "./preprocessor.js";
import { ratioProblem, resample } from "./resample.js";
import { decodeWav, MAX_SAMPLE_RATE, WavError } from "./wav.js";

/** spec.model.preprocessing.audio (contract/processing.ts). */
export type AudioSpec = AudioPreprocessing;

/** An hour: far beyond what one request should carry, and a bound on the one allocation per file. */
const MAX_SECONDS = 3600;

const positiveInt = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;
const names = (signature: Signature) => signature.inputs.map((s) => s.name).join(", ");

function modelInput(signature: Signature, name: string, what: string): TensorSpec {
  const spec = signature.inputs.find((s) => s.name === name);
  if (spec === undefined) throw new ConfigError(`${what} '${name}' is not an input of the model (${names(signature)})`);
  return spec;
}

/** The named input, or the only one the zeros leave. */
function audioInput(spec: AudioSpec, signature: Signature): TensorSpec {
  if (spec.input !== undefined) return modelInput(signature, spec.input, "preprocessing.audio.input");
  const rest = signature.inputs.filter((s) => !(spec.zeros ?? []).includes(s.name));
  if (rest.length !== 1) {
    throw new ConfigError(`preprocessing.audio.input must name one of the model's inputs (${names(signature)})`);
  }
  return rest[0] as TensorSpec;
}

/** Checks the spec against itself and the model's signature; every mismatch is a ConfigError at load. */
function check(spec: AudioSpec, signature: Signature): { target: TensorSpec; zeros: TensorSpec[] } {
  if (!positiveInt(spec.sampleRate, MAX_SAMPLE_RATE)) {
    throw new ConfigError(
      `preprocessing.audio.sampleRate must be an integer from 1 to ${MAX_SAMPLE_RATE} Hz, got ${spec.sampleRate}`,
    );
  }
  if (!(spec.maxSeconds > 0 && spec.maxSeconds <= MAX_SECONDS)) {
    throw new ConfigError(
      `preprocessing.audio.maxSeconds must be above 0 and at most ${MAX_SECONDS}, got ${spec.maxSeconds}`,
    );
  }
  const target = audioInput(spec, signature);
  if (target.dtype !== "float32" || target.shape.length !== 2) {
    throw new ConfigError(
      `audio input '${target.name}' must be a float32 model input of rank 2, but it is ${target.dtype} [${target.shape.join(", ")}]`,
    );
  }
  const width = target.shape[1] as number;
  if (spec.framing !== undefined) {
    const { frame, context } = spec.framing;
    if (!positiveInt(frame, 1 << 20) || !Number.isInteger(context) || context < 0 || context > frame) {
      throw new ConfigError(
        `preprocessing.audio.framing needs an integer frame ≥ 1 and an integer context from 0 to frame, got frame ${frame}, context ${context}`,
      );
    }
    if (width !== -1 && width !== frame + context) {
      throw new ConfigError(
        `audio input '${target.name}' takes rows of ${width} samples, not frame + context = ${frame + context}`,
      );
    }
  }
  const zeros = spec.zeros ?? [];
  const zeroSpecs = zeros.map((name, i) => {
    const z = modelInput(signature, name, "preprocessing.audio.zeros input");
    if (name === target.name) throw new ConfigError(`preprocessing.audio.zeros names the audio input '${name}' itself`);
    if (zeros.indexOf(name) !== i) throw new ConfigError(`preprocessing.audio.zeros names '${name}' twice`);
    if (z.shape.some((d) => d < 0)) {
      throw new ConfigError(
        `preprocessing.audio.zeros input '${name}' has unknown dimensions [${z.shape.join(", ")}]; zeros need a fixed shape`,
      );
    }
    return z;
  });
  return { target, zeros: zeroSpecs };
}

/** [frames, context + frame]: the last frame zero-padded, the first one's context zeros (silero_vad frame_blocks). */
function frameRows(x: Float32Array, frame: number, context: number): Tensor {
  const count = Math.ceil(x.length / frame);
  const width = context + frame;
  const data = new Float32Array(count * width);
  for (let f = 0; f < count; f++) {
    const start = f * frame;
    data.set(x.subarray(start, Math.min(x.length, start + frame)), f * width + context);
    if (f > 0) data.copyWithin(f * width, (f - 1) * width + frame, f * width);
  }
  return { data, shape: [count, width] };
}

export function audioPreprocessor(spec: AudioSpec, signature: Signature): Preprocessor {
  const { target, zeros } = check(spec, signature);
  const name = target.name;
  const width = target.shape[1] as number;
  const bad = (row: number, why: string) => errors.invalidInput(`input '${name}' row ${row}: ${why}`);

  /** One file as float32 samples at the model's rate; every problem with the file is a 400 naming it. */
  const samples = (bytes: Uint8Array, row: number): Float32Array => {
    let wav: ReturnType<typeof decodeWav>;
    try {
      wav = decodeWav(bytes, spec.maxSeconds);
    } catch (err) {
      if (err instanceof WavError) throw bad(row, err.message);
      throw err;
    }
    const problem = ratioProblem(wav.sampleRate, spec.sampleRate);
    if (problem !== undefined) throw bad(row, problem);
    return Float32Array.from(resample(wav.samples, wav.sampleRate, spec.sampleRate));
  };

  const zeroTensors = (): Tensor[] =>
    zeros.map((z) => ({
      data: DTYPE_INFO[z.dtype].allocate(z.shape.reduce((a, b) => a * b, 1)),
      shape: z.shape.slice(),
    }));

  return {
    input: { name, dtype: "bytes", shape: [spec.framing ? 1 : -1] },
    produces: [name, ...zeros.map((z) => z.name)],
    async run(items) {
      if (items.length === 0) throw errors.invalidInput(`input '${name}' has no WAV file`);
      if (spec.framing !== undefined) {
        if (items.length !== 1) {
          throw errors.invalidInput(
            `input '${name}' takes one WAV file per request (its frames are one sequence), got ${items.length}`,
          );
        }
        const rows = frameRows(samples(items[0] as Uint8Array, 0), spec.framing.frame, spec.framing.context);
        return [rows, ...zeroTensors()];
      }
      const rows = items.map((b, i) => samples(b, i));
      const length = width !== -1 ? width : (rows[0] as Float32Array).length;
      for (const [i, r] of rows.entries()) {
        if (r.length !== length) {
          throw bad(
            i,
            `${r.length} samples at ${spec.sampleRate} Hz, but the ${width !== -1 ? "model takes" : "first file has"} ${length}`,
          );
        }
      }
      const data = new Float32Array(rows.length * length);
      for (const [i, r] of rows.entries()) data.set(r, i * length);
      return [{ data, shape: [rows.length, length] }, ...zeroTensors()];
    },
  };
}
