/**
 * A loaded model behind one small interface: its signature and `run`, which
 * takes plain typed arrays (already validated and batched) and returns plain
 * typed arrays, so nothing above model/ touches tensors. load.ts builds one.
 */

export type DType = "float32" | "int32" | "bool";
export type TypedData = Float32Array | Int32Array | Uint8Array;

export interface TensorSpec {
  name: string;
  dtype: DType;
  /** -1 marks an unknown dimension; dimension 0 is the batch when `batched`. */
  shape: number[];
}

export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Every input has an unknown first dimension, so requests can be concatenated. */
  batched: boolean;
}

export interface Tensor {
  data: TypedData;
  shape: number[];
}

export interface OutputTensor extends Tensor {
  dtype: DType;
}

export interface LoadedModel {
  format: "layers" | "graph";
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
    const data =
      s.dtype === "float32"
        ? new Float32Array(size)
        : s.dtype === "int32"
          ? new Int32Array(size)
          : new Uint8Array(size);
    return { data, shape };
  });
}
