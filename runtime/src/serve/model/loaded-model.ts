/**
 * A loaded model behind one small interface: its signature and `run`, which
 * takes plain typed arrays (already validated and batched) and returns plain
 * typed arrays, so nothing above model/ touches tensors. load.ts builds one.
 */

import { DTYPE_INFO } from "../dtypes.js";

/**
 * TF.js models have float32, int32, bool and string; ONNX ones also int64, uint8, int8 and float16
 * (serve/dtypes.ts).
 */
export type DType = "float32" | "int32" | "bool" | "int64" | "uint8" | "int8" | "float16" | "bytes";
/** A BYTES tensor's elements, one byte string per element, row-major. */
export type BytesData = Uint8Array[];
/** bool and uint8 are both bytes; int64 is a BigInt64Array; float16 is a Uint16Array of IEEE half bits. */
export type TypedData = Float32Array | Int32Array | Uint8Array | BigInt64Array | Int8Array | Uint16Array | BytesData;

export interface TensorSpec {
  name: string;
  dtype: DType;
  /** -1 marks an unknown dimension; dimension 0 is the batch when `batched`. */
  shape: number[];
  /** bytes only: every element must be valid UTF-8 without NUL (the model's strings are text, as onnxruntime-node's are). */
  utf8?: boolean;
  /** The graph tensor a SavedModel's SignatureDef maps this key to ("serving_default_x:0"); TF Serving metadata. */
  tensorName?: string;
}

export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Every input has an unknown first dimension, so requests can be concatenated. */
  batched: boolean;
  /** The SignatureDef this is (a SavedModel's chosen one); TF Serving's signature_name. Undefined: serving_default. */
  signatureName?: string;
  /** A SavedModel's other signatures under the same tags, not served: named when a request asks for one. */
  otherSignatures?: string[];
}

export interface Tensor {
  data: TypedData;
  shape: number[];
}

export interface OutputTensor extends Tensor {
  dtype: DType;
}

export interface LoadedModel {
  format: "layers" | "graph" | "onnx" | "savedmodel";
  signature: Signature;
  /** Inputs in signature order; outputs in signature order. */
  run(inputs: readonly Tensor[]): Promise<OutputTensor[]>;
  /** Calls of up to this many rows run in plain JavaScript (dense-kernel.ts); 0: never. */
  plainJsRows: number;
  dispose(): void;
}

/** Zeros with `rows` rows (other unknown dimensions as 1), for warm-up and probes. */
export function warmupInputs(signature: Signature, rows = 1): Tensor[] {
  return signature.inputs.map((s) => {
    const shape = s.shape.map((d, i) => (d !== -1 ? d : i === 0 ? rows : 1));
    const size = shape.reduce((a, b) => a * b, 1);
    return { data: DTYPE_INFO[s.dtype].allocate(size), shape };
  });
}
