/**
 * An ONNX model as a LoadedModel, run by onnxruntime-node's InferenceSession.
 * The session is built from the bytes the digest was checked on (onnx-artifact.ts
 * reads the file once), never from the path, so a file swapped after the check
 * cannot be served. The signature is the session's own input/output metadata.
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

/**
 * Where the session runs. CPU only for now: the CUDA provider is a later step (issue #25, "GPU"); it goes here,
 * chosen from the pod's GPU, with a fallback to CPU that the load report says.
 */
function executionProviders(): string[] {
  return ["cpu"];
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
export function onnxBackend(): BackendInfo {
  return {
    name: "onnxruntime",
    tfjsBackend: executionProviders().join(","),
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

/** Builds the session from the model's bytes; a file that is not ONNX is a ConfigError, not a crash. */
export async function loadOnnx(bytes: Uint8Array, opts: OnnxOptions = {}): Promise<LoadedModel> {
  const threads = opts.threads !== undefined && opts.threads > 0 ? opts.threads : availableParallelism();
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, {
      executionProviders: executionProviders(),
      intraOpNumThreads: threads,
      // Requests are batched into one run at a time (batcher.ts): nodes in parallel would compete for the same cores.
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
    });
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
