/**
 * An ONNX model as a LoadedModel, run by onnxruntime-node's InferenceSession.
 * The session is built from the file the digest was computed on as it was written
 * (model-on-disk.ts: a node-cache entry or a private scratch copy), so a source
 * swapped after the check cannot be served, and a large model is never held whole
 * in the JS heap; bytes are still taken (tests). The signature is the session's own
 * input/output metadata.
 */
import { availableParallelism } from "node:os";
import * as ort from "onnxruntime-node";
import type { BackendInfo } from "../../backends.js";
import { ConfigError } from "../../errors.js";
import { isBytes, utf8Bytes, utf8Text } from "../bytes-tensors.js";
import type { DType, LoadedModel, OutputTensor, Tensor, TensorSpec, TypedData } from "./loaded-model.js";

export interface OnnxOptions {
  /** Intra-op threads (--onnx-threads); 0 or undefined: the CPUs this process may use. */
  threads?: number;
  /** The pod has a GPU (spec.resources.gpu): try the CUDA execution provider first. */
  gpu?: boolean;
  /** Called when the GPU was asked for and the CUDA provider could not load: the session runs on the CPU. */
  onFallback?: (message: string) => void;
}

/** onnxruntime tensor types → the runtime's dtypes; anything else (float64, uint16, …) is refused at load. */
const FROM_ORT: Readonly<Record<string, DType>> = {
  float32: "float32",
  int32: "int32",
  bool: "bool",
  int64: "int64",
  uint8: "uint8",
  int8: "int8",
  float16: "float16",
  string: "bytes",
};

const TO_ORT: Readonly<Record<DType, ort.Tensor.Type>> = {
  float32: "float32",
  int32: "int32",
  bool: "bool",
  int64: "int64",
  uint8: "uint8",
  int8: "int8",
  float16: "float16",
  bytes: "string",
};

/**
 * onnxruntime-node's string tensors are JS strings (cut at a NUL), so BYTES elements go in as text: the signature
 * marks them `utf8` and validation refuses other bytes, and NUL, before a batch is formed (validate.ts).
 */
function toOrt(t: Tensor, s: TensorSpec): ort.Tensor {
  if (isBytes(t.data))
    return new ort.Tensor(
      "string",
      t.data.map((b) => utf8Text(b) ?? ""),
      t.shape,
    );
  return new ort.Tensor(TO_ORT[s.dtype], t.data as ort.Tensor.DataType, t.shape);
}

/** Output data in the runtime's form: strings as UTF-8 bytes; float16 as its bits (a Float16Array, where Node has one, is reinterpreted). */
function fromOrt(t: ort.Tensor, dtype: DType): TypedData {
  if (dtype === "bytes") return (t.data as string[]).map(utf8Bytes);
  if (dtype === "float16" && !(t.data instanceof Uint16Array)) {
    const d = t.data as unknown as ArrayBufferView;
    return new Uint16Array(d.buffer, d.byteOffset, d.byteLength / 2);
  }
  return t.data as TypedData;
}

/** Where the session runs: CUDA then CPU (for the nodes CUDA lacks) when the pod has a GPU, else the CPU alone. */
export function executionProviders(gpu: boolean): string[] {
  return gpu ? ["cuda", "cpu"] : ["cpu"];
}

/**
 * Whether a session error means the CUDA provider itself could not load (its shared libraries, the CUDA or cuDNN
 * runtime, no device), rather than a bad model: onnxruntime-node throws it from AppendExecutionProvider_Cuda.
 */
function isCudaUnavailable(err: unknown): boolean {
  const m = (err as Error)?.message ?? String(err);
  return /AppendExecutionProvider_Cuda|providers_cuda|CUDA|cudnn|cublas/i.test(m);
}

function spec(m: ort.InferenceSession.ValueMetadata, what: string): TensorSpec {
  if (!m.isTensor) throw new ConfigError(`${what} '${m.name}' is not a tensor (sequences and maps are not served)`);
  const dtype = FROM_ORT[m.type];
  if (dtype === undefined) {
    throw new ConfigError(
      `${what} '${m.name}' has element type ${m.type}, which the runtime does not serve (${Object.keys(FROM_ORT).join(", ")})`,
    );
  }
  // Symbolic dimensions ("batch", "sequence") come as strings: unknown, -1.
  const shape = m.shape.map((d) => (typeof d === "number" && d >= 0 ? d : -1));
  return { name: m.name, dtype, shape, ...(dtype === "bytes" ? { utf8: true } : {}) };
}

/** What the metrics and the load log say an ONNX model runs on (the TF.js fields carry onnxruntime's). */
export function onnxBackend(providers: readonly string[] = executionProviders(false)): BackendInfo {
  return {
    name: "onnxruntime",
    tfjsBackend: providers.join(","),
    tfjsVersion: "",
    libVersion: ort.env.versions.node,
  };
}

/**
 * onnxruntime's complaint about tensors kept outside the file, as advice: torch.onnx.export writes the weights to a
 * side file (model.onnx.data) by default, and the runtime serves only the one file whose digest it checked.
 */
function externalData(ortMessage: string): string | undefined {
  if (!/external data/i.test(ortMessage)) return undefined;
  const tensor = /initializer: (\S+?)\.?\s/.exec(ortMessage)?.[1];
  return (
    `the model keeps tensors${tensor ? ` (${tensor} first)` : ""} in an external-data side file, and the runtime ` +
    "serves one self-contained .onnx file: export with torch.onnx.export(..., external_data=False), or re-save with " +
    "onnx.save(onnx.load(path), out, save_as_external_data=False)"
  );
}

function createSession(model: Uint8Array | string, providers: string[], threads: number) {
  const options = {
    executionProviders: providers,
    intraOpNumThreads: threads,
    // Requests are batched into one run at a time (batcher.ts): nodes in parallel would compete for the same cores.
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    logSeverityLevel: 3,
  } as const;
  return typeof model === "string"
    ? ort.InferenceSession.create(model, options)
    : ort.InferenceSession.create(model, options);
}

/**
 * Builds the session from the model file (a path) or its bytes; a file that is not ONNX is a ConfigError, not a
 * crash. With `gpu`, a CUDA provider that cannot load falls back to the CPU and says so through `onFallback`.
 */
export async function loadOnnx(model: Uint8Array | string, opts: OnnxOptions = {}): Promise<LoadedModel> {
  const threads = opts.threads !== undefined && opts.threads > 0 ? opts.threads : availableParallelism();
  let session: ort.InferenceSession;
  try {
    try {
      session = await createSession(model, executionProviders(opts.gpu === true), threads);
    } catch (err) {
      if (opts.gpu !== true || !isCudaUnavailable(err)) throw err;
      const first = ((err as Error).message ?? String(err)).split("\n")[0];
      opts.onFallback?.(`the CUDA execution provider cannot load (${first}); running on the CPU`);
      session = await createSession(model, executionProviders(false), threads);
    }
  } catch (err) {
    const first = ((err as Error).message ?? String(err)).split("\n")[0] ?? "";
    throw new ConfigError(externalData(first) ?? `the model is not a valid ONNX model: ${first}`);
  }
  try {
    const inputs = session.inputMetadata.map((m) => spec(m, "input"));
    const outputs = session.outputMetadata.map((m) => spec(m, "output"));
    const batched = inputs.length > 0 && inputs.every((s) => s.shape.length > 0 && s.shape[0] === -1);
    const outNames = outputs.map((o) => o.name);
    return {
      format: "onnx",
      signature: { inputs, outputs, batched },
      plainJsRows: 0,
      async run(feed) {
        const feeds: Record<string, ort.Tensor> = {};
        feed.forEach((t, i) => {
          const s = inputs[i] as TensorSpec;
          feeds[s.name] = toOrt(t, s);
        });
        const result = await session.run(feeds, outNames);
        return outputs.map((s): OutputTensor => {
          const t = result[s.name] as ort.Tensor;
          return { data: fromOrt(t, s.dtype), shape: [...t.dims], dtype: s.dtype };
        });
      },
      dispose: () => void session.release(),
    };
  } catch (err) {
    await session.release();
    throw err;
  }
}
