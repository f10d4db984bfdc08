/**
 * TF Serving / KServe V1 predict bodies, pure. Row format (`instances`) gives
 * `predictions`, one entry per row; columnar format (`inputs`) gives `outputs`.
 * Single-input models take bare values; multi-input models take objects keyed
 * by input name (single-input models accept that too). Strings are UTF-8 text or
 * TF Serving's `{"b64": "..."}` (which is a value, not an object of named inputs).
 */
import { errors } from "../../errors.js";
import { isB64Object, isBytes } from "../bytes-tensors.js";
import { checkSignature } from "../grpc/tfs-proto-codec.js";
import type { OutputTensor, Signature, Tensor } from "../model/loaded-model.js";
import { fromNested, toNested } from "../tensors.js";
import { finish, isPlainObject, type Limits, type Prepared } from "../validate.js";

export type V1Format = "row" | "columnar";

export function decodeV1(body: unknown, sig: Signature, limits: Limits): { prepared: Prepared; format: V1Format } {
  if (body === undefined) throw errors.invalidInput("request body is empty");
  if (!isPlainObject(body))
    throw errors.invalidInput("request body must be a JSON object with 'instances' or 'inputs'");
  const hasInstances = Object.hasOwn(body, "instances");
  const hasInputs = Object.hasOwn(body, "inputs");
  if (hasInstances === hasInputs) throw errors.invalidInput("request must have exactly one of 'instances' or 'inputs'");
  const sigName = body.signature_name;
  if (sigName !== undefined) checkSignature(String(sigName), sig);
  for (const k of Object.keys(body)) {
    if (k !== "instances" && k !== "inputs" && k !== "signature_name")
      throw errors.invalidInput(`unknown field '${k}'`);
  }
  const tensors = hasInstances ? decodeRows(body.instances, sig) : decodeColumns(body.inputs, sig);
  return { prepared: finish(sig, tensors, limits), format: hasInstances ? "row" : "columnar" };
}

/** An object of tensors by input name, not a value: `{"b64": ...}` is a binary string unless an input is named b64. */
function keyedByInput(v: unknown, sig: Signature): v is Record<string, unknown> {
  return isPlainObject(v) && !(isB64Object(v) && !sig.inputs.some((s) => s.name === "b64"));
}

function decodeRows(instances: unknown, sig: Signature): Tensor[] {
  if (!Array.isArray(instances)) throw errors.invalidInput("'instances' must be an array with one entry per row");
  if (instances.length === 0) throw errors.invalidInput("'instances' is empty");
  const named = keyedByInput(instances[0], sig);
  if (!named) {
    const only = sig.inputs[0];
    if (sig.inputs.length !== 1 || only === undefined) {
      throw errors.invalidInput(
        `this model has ${sig.inputs.length} inputs; each instance must be an object keyed by ${inputList(sig)}`,
      );
    }
    return [fromNested(instances, only.dtype, `input '${only.name}'`)];
  }
  instances.forEach((row, r) => {
    if (!isPlainObject(row)) throw errors.invalidInput(`instance ${r} must be an object like instance 0`);
    for (const k of Object.keys(row)) {
      if (!sig.inputs.some((s) => s.name === k)) throw errors.invalidInput(`instance ${r} has unknown input '${k}'`);
    }
  });
  return sig.inputs.map((spec) => {
    const column = instances.map((row: Record<string, unknown>, r) => {
      if (!Object.hasOwn(row, spec.name)) throw errors.invalidInput(`instance ${r} lacks input '${spec.name}'`);
      return row[spec.name];
    });
    return fromNested(column, spec.dtype, `input '${spec.name}'`);
  });
}

function decodeColumns(inputs: unknown, sig: Signature): Tensor[] {
  const only = sig.inputs[0];
  if (!keyedByInput(inputs, sig)) {
    if (sig.inputs.length !== 1 || only === undefined) {
      throw errors.invalidInput(
        `this model has ${sig.inputs.length} inputs; 'inputs' must be an object keyed by ${inputList(sig)}`,
      );
    }
    return [fromNested(inputs, only.dtype, `input '${only.name}'`)];
  }
  for (const k of Object.keys(inputs)) {
    if (!sig.inputs.some((s) => s.name === k)) throw errors.invalidInput(`'inputs' has unknown input '${k}'`);
  }
  return sig.inputs.map((spec) => {
    if (!Object.hasOwn(inputs, spec.name)) throw errors.invalidInput(`'inputs' lacks input '${spec.name}'`);
    return fromNested(inputs[spec.name], spec.dtype, `input '${spec.name}'`);
  });
}

function inputList(sig: Signature): string {
  return sig.inputs.map((s) => `'${s.name}'`).join(", ");
}

/** One row of an output as a nested value (a scalar for rank-1 outputs). */
function row(t: OutputTensor, r: number): unknown {
  const inner = t.shape.slice(1);
  let stride = 1;
  for (const d of inner) stride *= d;
  return toNested(t.data, inner, t.dtype, r * stride);
}

/** Text leaves as `{"b64": ...}` (their UTF-8 bytes, exactly: they were decoded from them). */
function asB64(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(asB64);
  return typeof v === "string" ? { b64: Buffer.from(v, "utf8").toString("base64") } : v;
}

/** TF Serving's REST convention: a string output whose name ends in `_bytes` is always `{"b64": ...}`. */
function named(value: unknown, t: OutputTensor, name: string): unknown {
  return t.dtype === "bytes" && name.endsWith("_bytes") ? asB64(value) : value;
}

/** The output's name in a reply: the signature's, else its index. */
function outputName(sig: Signature, i: number): string {
  return sig.outputs[i]?.name ?? String(i);
}

export function encodeV1(outputs: readonly OutputTensor[], sig: Signature, format: V1Format, rows: number): object {
  const single = outputs.length === 1;
  if (format === "columnar") {
    if (single) {
      const t = outputs[0] as OutputTensor;
      return { outputs: named(toNested(t.data, t.shape, t.dtype), t, outputName(sig, 0)) };
    }
    const byName: Record<string, unknown> = {};
    for (let i = 0; i < outputs.length; i++) {
      const t = outputs[i] as OutputTensor;
      byName[outputName(sig, i)] = named(toNested(t.data, t.shape, t.dtype), t, outputName(sig, i));
    }
    return { outputs: byName };
  }
  const predictions = new Array(rows);
  for (let r = 0; r < rows; r++) {
    if (single)
      predictions[r] = named(row(outputs[0] as OutputTensor, r), outputs[0] as OutputTensor, outputName(sig, 0));
    else {
      const byName: Record<string, unknown> = {};
      for (let i = 0; i < outputs.length; i++) {
        const t = outputs[i] as OutputTensor;
        byName[outputName(sig, i)] = named(row(t, r), t, outputName(sig, i));
      }
      predictions[r] = byName;
    }
  }
  return { predictions };
}

/** Dtypes whose JSON values are their numbers as they are (no bool, half, int64 range check or bytes). */
const PLAIN_NUMBERS: ReadonlySet<string> = new Set(["float32", "int32", "int8", "uint8"]);

/** A number as JSON.stringify writes it (non-finite as null). */
const numberJson = (v: number): string => (Number.isFinite(v) ? String(v) : "null");

/** The nested array of `data` from `depth` on, as JSON text. */
function numbersJson(data: ArrayLike<number>, shape: readonly number[], depth: number, offset: number): string {
  if (depth === shape.length) return numberJson(data[offset] as number);
  const n = shape[depth] as number;
  let stride = 1;
  for (let d = depth + 1; d < shape.length; d++) stride *= shape[d] as number;
  let s = "[";
  for (let i = 0; i < n; i++) {
    if (i > 0) s += ",";
    s +=
      depth + 1 === shape.length
        ? numberJson(data[offset + i] as number)
        : numbersJson(data, shape, depth + 1, offset + i * stride);
  }
  return `${s}]`;
}

/**
 * The V1 reply as JSON text: exactly `JSON.stringify(encodeV1(...))` (tested), written directly, with no arrays in
 * between, for the common reply (rows, one numeric output); anything else goes through encodeV1.
 */
export function encodeV1Json(outputs: readonly OutputTensor[], sig: Signature, format: V1Format, rows: number): string {
  const t = outputs[0];
  if (format !== "row" || outputs.length !== 1 || t === undefined || !PLAIN_NUMBERS.has(t.dtype) || isBytes(t.data))
    return JSON.stringify(encodeV1(outputs, sig, format, rows));
  const data = t.data as ArrayLike<number>;
  let stride = 1;
  for (let d = 1; d < t.shape.length; d++) stride *= t.shape[d] as number;
  let s = '{"predictions":[';
  for (let r = 0; r < rows; r++) {
    if (r > 0) s += ",";
    s += numbersJson(data, t.shape, 1, r * stride);
  }
  return `${s}]}`;
}
