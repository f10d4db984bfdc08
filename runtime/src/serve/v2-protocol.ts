/**
 * The Open Inference Protocol (V2) apart from its transports: datatypes, model
 * metadata and how named input tensors map onto the signature. Pure; the JSON
 * codec (http/v2-json-codec.ts) and the protobuf one (grpc/v2-proto-codec.ts) both build on it.
 */
import { errors } from "../errors.js";
import { DTYPE_INFO } from "./dtypes.js";
import type { DType, LoadedModel, Signature, Tensor, TensorSpec } from "./model/loaded-model.js";
import { MAX_RANK } from "./tensors.js";
import type { Prepared } from "./validate.js";

export const V2_DATATYPES = [
  "BOOL",
  "UINT8",
  "UINT16",
  "UINT32",
  "UINT64",
  "INT8",
  "INT16",
  "INT32",
  "INT64",
  "FP16",
  "FP32",
  "FP64",
  "BYTES",
] as const;

/** Whether a tensor of V2 `datatype` may feed a model input of `dtype`. */
export function accepts(dtype: DType, datatype: string): boolean {
  return DTYPE_INFO[dtype].accepts.includes(datatype);
}

export function v2Datatype(dtype: DType): string {
  return DTYPE_INFO[dtype].v2;
}

/** Triton's platform names where one exists (onnxruntime_onnx, tensorflow_savedmodel), else the TF.js format. */
export function v2Platform(format: LoadedModel["format"]): string {
  if (format === "onnx") return "onnxruntime_onnx";
  if (format === "savedmodel") return "tensorflow_savedmodel";
  return `tensorflowjs_${format}`;
}

/** V2 model metadata (HTTP and gRPC): names, datatypes and shapes, -1 for variable dimensions. */
export function v2ModelMetadata(name: string, version: string, model: LoadedModel) {
  const tensors = (specs: readonly TensorSpec[]) =>
    specs.map((s) => ({ name: s.name, datatype: v2Datatype(s.dtype), shape: s.shape }));
  return {
    name,
    versions: [version],
    platform: v2Platform(model.format),
    inputs: tensors(model.signature.inputs),
    outputs: tensors(model.signature.outputs),
  };
}

/**
 * The classification extension (`parameters.classification`, tritonclient's `class_count`) is
 * refused, not ignored: answering the raw tensor where top-k strings were asked for would hand
 * the client a different shape and datatype than it parses.
 */
export function classificationRefused(output: string) {
  return errors.invalidInput(
    `output '${output}': parameters.classification (class_count) is not supported by this runtime; ask for the output without it and take the top k from its scores`,
  );
}

/** The most classes one class_count may ask for (Triton has no bound; the answer is k strings per row). */
const MAX_CLASS_COUNT = 10_000;

/**
 * The classification extension where the model answers it: on its top-k output when it has a labels file
 * (spec.model.postprocessing.topK.labels, model/with-processing.ts); any other output, or a model without one,
 * refuses it (classificationRefused).
 */
export function classCountFor(classifiable: number | undefined, index: number, output: string, value: unknown): number {
  if (classifiable !== index) throw classificationRefused(output);
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_CLASS_COUNT)
    throw errors.invalidInput(
      `output '${output}': parameters.classification (class_count) must be an integer from 1 to ${MAX_CLASS_COUNT}`,
    );
  return value;
}

export interface V2Request {
  prepared: Prepared;
  id: string | undefined;
  /** Indices into signature outputs, in the order asked for. */
  outputs: number[];
  /** Per entry of `outputs`: answer as binary data (the extension) rather than JSON. */
  binary: boolean[];
}

export function checkShapeField(shape: unknown, what: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw errors.invalidInput(`${what}: shape must be an array of non-negative integers`);
  }
  if (shape.length > MAX_RANK) throw errors.invalidInput(`${what}: shape has more than ${MAX_RANK} dimensions`);
  return shape as number[];
}

/** The signature input a V2 tensor names, with its datatype checked against the model's. */
export function resolveInput(sig: Signature, name: unknown, datatype: unknown, where: string): TensorSpec {
  if (typeof name !== "string" || name === "") throw errors.invalidInput(`${where}: 'name' must be a non-empty string`);
  const spec = sig.inputs.find((s) => s.name === name);
  if (spec === undefined)
    throw errors.invalidInput(
      `unknown input '${name}'; the model takes ${sig.inputs.map((s) => `'${s.name}'`).join(", ")}`,
    );
  const what = `input '${name}'`;
  if (typeof datatype !== "string" || !(V2_DATATYPES as readonly string[]).includes(datatype)) {
    throw errors.invalidInput(`${what}: unknown datatype '${String(datatype)}'`);
  }
  if (!accepts(spec.dtype, datatype)) {
    throw errors.invalidInput(`${what}: datatype ${datatype} does not match the model's ${v2Datatype(spec.dtype)}`);
  }
  return spec;
}

/** Inputs in signature order, each given exactly once. */
export function inSignatureOrder(sig: Signature, given: ReadonlyMap<string, Tensor>): Tensor[] {
  return sig.inputs.map((spec) => {
    const t = given.get(spec.name);
    if (t === undefined) throw errors.invalidInput(`input '${spec.name}' is missing`);
    return t;
  });
}
