/**
 * TensorFlow Serving's PredictRequest/PredictResponse and TensorProto, pure.
 * A TensorProto carries its values either as tensor_content (raw little-endian
 * bytes, what tf.make_tensor_proto writes for numpy arrays) or in the typed
 * *_val field of its dtype; a single typed value fills the whole shape, as in
 * TensorFlow. DT_STRING travels in string_val only (TensorFlow has no
 * tensor_content form for strings); DT_HALF in half_val (each half's bits in an
 * int32) or tensor_content. Input and output keys are the model signature's names.
 */
import { errors } from "../../errors.js";
import { isBytes } from "../bytes-tensors.js";
import { DTYPE_INFO } from "../dtypes.js";
import { halfToNumber } from "../half.js";
import type { DType, OutputTensor, Signature, Tensor, TensorSpec } from "../model/loaded-model.js";
import { fromRaw } from "../raw-tensors.js";
import { checkShape, fromFlat, sizeOf } from "../tensors.js";
import { accepts } from "../v2-protocol.js";
import { checkRows, finish, type Limits, type Prepared } from "../validate.js";

interface TensorProto {
  dtype: string;
  tensor_shape: { dim: { size: number }[]; unknown_rank: boolean } | null;
  tensor_content: Buffer;
  [typed: string]: unknown;
}

export interface ModelSpec {
  name: string;
  version?: { value: number } | null;
  version_label?: string;
  signature_name: string;
}

export interface PredictRequest {
  model_spec: ModelSpec | null;
  inputs: Record<string, TensorProto>;
  output_filter: string[];
}

/** TF DataType → the V2 datatype with the same binary layout, and its typed field. */
const DTYPES: Readonly<Record<string, { v2: string; field: string }>> = {
  DT_FLOAT: { v2: "FP32", field: "float_val" },
  DT_DOUBLE: { v2: "FP64", field: "double_val" },
  DT_HALF: { v2: "FP16", field: "half_val" },
  DT_INT8: { v2: "INT8", field: "int_val" },
  DT_INT16: { v2: "INT16", field: "int_val" },
  DT_INT32: { v2: "INT32", field: "int_val" },
  DT_INT64: { v2: "INT64", field: "int64_val" },
  DT_UINT8: { v2: "UINT8", field: "int_val" },
  DT_UINT16: { v2: "UINT16", field: "int_val" },
  DT_UINT32: { v2: "UINT32", field: "uint32_val" },
  DT_UINT64: { v2: "UINT64", field: "uint64_val" },
  DT_BOOL: { v2: "BOOL", field: "bool_val" },
  DT_STRING: { v2: "BYTES", field: "string_val" },
};

function tfDtype(dtype: DType): string {
  return DTYPE_INFO[dtype].tf;
}

/**
 * The one SignatureDef served (`serving_default`, or a SavedModel's chosen one), as GetModelMetadata (gRPC) and
 * GET /v1/models/{m}/metadata (REST) give it; `size` is how a dimension is written
 * (a number for protobufjs, a string in TF Serving's REST JSON, int64 being a string there).
 */
function signatureDef<S>(sig: Signature, size: (n: number) => S) {
  const info = (specs: readonly TensorSpec[]) =>
    Object.fromEntries(
      specs.map((s) => [
        s.name,
        {
          // A SavedModel's real graph tensor; other formats have none, and TF Serving clients expect "<key>:0".
          name: s.tensorName ?? `${s.name}:0`,
          dtype: tfDtype(s.dtype),
          tensor_shape: { dim: s.shape.map((n) => ({ size: size(n) })) },
        },
      ]),
    );
  return { inputs: info(sig.inputs), outputs: info(sig.outputs), method_name: "tensorflow/serving/predict" };
}

/** One TensorProto as a tensor for `spec`; `what` names it ("inputs['x']"). */
function fromTensorProto(p: TensorProto, spec: TensorSpec, what: string, limits: Limits): Tensor {
  const known = DTYPES[p.dtype];
  if (known === undefined) {
    throw errors.invalidInput(`${what}: dtype ${p.dtype} is not served (use ${tfDtype(spec.dtype)})`);
  }
  if (!accepts(spec.dtype, known.v2)) {
    throw errors.invalidInput(`${what}: dtype ${p.dtype} does not match the model's ${tfDtype(spec.dtype)}`);
  }
  const shapeProto = p.tensor_shape;
  if (shapeProto === null || shapeProto.unknown_rank) throw errors.invalidInput(`${what}: tensor_shape is missing`);
  const shape = shapeProto.dim.map((d) => d.size);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0))
    throw errors.invalidInput(`${what}: tensor_shape sizes must be non-negative integers`);
  const n = sizeOf(shape);
  const typed = (p[known.field] as unknown[] | undefined) ?? [];
  if (p.tensor_content.byteLength > 0) {
    if (known.v2 === "BYTES")
      throw errors.invalidInput(`${what}: DT_STRING values travel in string_val, not tensor_content`);
    if (typed.length > 0) throw errors.invalidInput(`${what}: give tensor_content or ${known.field}, not both`);
    return { data: fromRaw(p.tensor_content, known.v2, shape, spec.dtype, what, "tensor_content"), shape };
  }
  // half_val holds each half float's 16 bits in an int32.
  let values = known.field === "half_val" ? typed.map((h) => halfToNumber(Number(h))) : typed;
  if (values.length === 1 && n > 1) {
    // The claimed shape is checked (the model's shape, the row limit, what a body could carry) before it is filled.
    checkShape(shape, spec, what);
    checkRows(shape[0] ?? 1, limits);
    // A string repeated n times is as large as n copies would be on the wire (a 4-byte length each, as V2 binary).
    const width = known.v2 === "BYTES" ? 4 + ((values[0] as Uint8Array | undefined)?.byteLength ?? 0) : 4;
    const most = Math.floor(limits.bodyLimitBytes / width);
    if (n > most) {
      throw errors.invalidInput(
        `${what}: tensor_shape [${shape.join(",")}] needs ${n} values; one ${known.field} fills at most ${most} (the body limit / ${width} bytes)`,
      );
    }
    values = new Array(n).fill(values[0]);
  }
  if (values.length !== n) {
    throw errors.invalidInput(
      `${what}: ${known.field} has ${values.length} values but tensor_shape [${shape.join(",")}] needs ${n}`,
    );
  }
  return { data: fromFlat(values, spec.dtype, what), shape };
}

function toTensorProto(t: OutputTensor): object {
  const head = { dtype: tfDtype(t.dtype), tensor_shape: { dim: t.shape.map((size) => ({ size })) } };
  if (isBytes(t.data)) return { ...head, string_val: t.data };
  return { ...head, tensor_content: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
}

/** The SignatureDef name a model is served as: a SavedModel's chosen one, else `serving_default`. */
export function servedSignature(sig: Signature): string {
  return sig.signatureName ?? "serving_default";
}

/** The signature name, checked: one signature is served; "" (TF Serving's default) means that one. */
export function checkSignature(name: string, sig: Signature): void {
  const served = servedSignature(sig);
  if (name !== "" && name !== served) throw errors.signatureNotFound(name, served, sig.otherSignatures);
}

/** GetModelMetadata's SignatureDefMap: the served signature under its own name. */
export function signatureDefMap<S>(sig: Signature, size: (n: number) => S) {
  return { [servedSignature(sig)]: signatureDef(sig, size) };
}

export function decodePredict(
  req: PredictRequest,
  sig: Signature,
  limits: Limits,
): { prepared: Prepared; outputs: number[] } {
  checkSignature(req.model_spec?.signature_name ?? "", sig);
  const keys = Object.keys(req.inputs);
  if (keys.length === 0) throw errors.invalidInput("'inputs' must not be empty");
  for (const k of keys) {
    if (!sig.inputs.some((s) => s.name === k)) {
      throw errors.invalidInput(
        `inputs['${k}'] is not an input of signature ${servedSignature(sig)}; it takes ${sig.inputs.map((s) => `'${s.name}'`).join(", ")}`,
      );
    }
  }
  const tensors = sig.inputs.map((spec) => {
    const p = req.inputs[spec.name];
    if (p === undefined) throw errors.invalidInput(`inputs['${spec.name}'] is missing`);
    return fromTensorProto(p, spec, `inputs['${spec.name}']`, limits);
  });
  const outputs: number[] = [];
  for (const name of req.output_filter) {
    const idx = sig.outputs.findIndex((s) => s.name === name);
    if (idx === -1) {
      throw errors.invalidInput(
        `output_filter: '${name}' is not an output of signature ${servedSignature(sig)}; it gives ${sig.outputs.map((s) => `'${s.name}'`).join(", ")}`,
      );
    }
    if (outputs.includes(idx)) throw errors.invalidInput(`output_filter names '${name}' twice`);
    outputs.push(idx);
  }
  if (outputs.length === 0) outputs.push(...sig.outputs.map((_, i) => i));
  return { prepared: finish(sig, tensors, limits), outputs };
}

export function encodePredict(outputs: readonly OutputTensor[], sig: Signature, picked: readonly number[]): object {
  const out: Record<string, object> = {};
  for (const i of picked) out[sig.outputs[i]?.name ?? String(i)] = toTensorProto(outputs[i] as OutputTensor);
  return { outputs: out };
}
