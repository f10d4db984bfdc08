/**
 * Pure conversions between JSON values and typed arrays: nested arrays in,
 * nested or flat arrays out. Every rejection is a 400 naming what is wrong.
 */
import { errors } from "../errors.js";
import { decodeBase64, encodeBase64, isB64Object, isBytes, utf8Bytes, utf8Text } from "./bytes-tensors.js";
import { DTYPE_INFO, JSON_INT64_MAX, jsonRange } from "./dtypes.js";
import { HALF_MAX, halfToNumber, numberToHalf } from "./half.js";
import type { DType, Tensor, TensorSpec, TypedData } from "./model/loaded-model.js";

export const FLOAT32_MAX = 3.4028234663852886e38;
/**
 * The deepest nesting a JSON tensor may have. The checks below recurse once per
 * level, so a body nested 200k levels deep overflowed the stack (a 500); no
 * served model takes inputs of such rank (TensorFlow's own limit is 254).
 */
export const MAX_RANK = 32;

export function allocate(dtype: DType, size: number): TypedData {
  return DTYPE_INFO[dtype].allocate(size);
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return "a string";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "a non-finite number";
  return typeof v === "object" ? "an object" : String(v);
}

/** Elements `from` to `to` of a tensor's data, sharing its memory (BYTES: a new list of the same elements). */
export function sliceData(data: TypedData, from: number, to: number): TypedData {
  return isBytes(data) ? data.slice(from, to) : data.subarray(from, to);
}

/**
 * One BYTES element from JSON: a string is its UTF-8 bytes (base64 when `b64`, V2's content_type "base64"),
 * `{"b64": "..."}` is TF Serving REST's binary string, and a Uint8Array is gRPC's bytes field as it arrives.
 */
function bytesOf(v: unknown, b64: boolean): Uint8Array | undefined {
  if (typeof v === "string") return b64 ? decodeBase64(v) : utf8Bytes(v);
  if (v instanceof Uint8Array) return v;
  if (isB64Object(v)) return decodeBase64(v.b64);
  return undefined;
}

/** Writes one scalar; returns false when it does not fit the dtype. */
function put(out: TypedData, i: number, v: unknown, dtype: DType, b64 = false): boolean {
  if (dtype === "bytes") {
    const b = bytesOf(v, b64);
    if (b === undefined) return false;
    out[i] = b;
  } else if (dtype === "float16") {
    if (typeof v !== "number" || !(Math.abs(v) <= HALF_MAX)) return false;
    out[i] = numberToHalf(v);
  } else if (dtype === "float32") {
    // Beyond float32's range a value would silently become Infinity.
    if (typeof v !== "number" || !(Math.abs(v) <= FLOAT32_MAX)) return false;
    out[i] = v;
  } else if (dtype === "bool") {
    if (typeof v !== "boolean") return false;
    out[i] = v ? 1 : 0;
  } else {
    const [min, max] = jsonRange(dtype) as readonly [number, number];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) return false;
    if (out instanceof BigInt64Array) out[i] = BigInt(v);
    else out[i] = v;
  }
  return true;
}

/**
 * The common case of fromNested — a scalar, a list, or a list of equal-length
 * lists of valid values — without its bookkeeping for error positions; false
 * on anything else, which fromNested then walks again to say what is wrong.
 */
function fillRectangular(
  value: unknown,
  shape: readonly number[],
  dtype: DType,
  out: TypedData,
  b64: boolean,
): boolean {
  if (shape.length === 0) return put(out, 0, value, dtype, b64);
  const rows = value as unknown[];
  if (shape.length === 1) {
    for (let i = 0; i < rows.length; i++) if (!put(out, i, rows[i], dtype, b64)) return false;
    return true;
  }
  const inner = shape[1] as number;
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== inner) return false;
    for (let j = 0; j < inner; j++) if (!put(out, k++, row[j], dtype, b64)) return false;
  }
  return true;
}

function ragged(what: string, path: readonly number[], shape: readonly number[], depth: number): Error {
  return errors.invalidInput(
    `${what}: ragged or mixed nesting at [${path.join(",")}] (expected ${shape[depth]} elements at depth ${depth})`,
  );
}

/**
 * Checks that every list above the values has the probed length, visiting the
 * lists only: a ragged input (a long first row, short others) is refused before
 * its probed shape is allocated, so what is allocated is what the body holds.
 * Rank ≤ 2 (every request of a tabular model) is checked in a loop, without the path bookkeeping.
 */
function checkNesting(value: unknown, shape: readonly number[], what: string): void {
  if (shape.length === 0) return;
  if (!Array.isArray(value) || value.length !== shape[0]) throw ragged(what, [], shape, 0);
  if (shape.length === 1) return;
  if (shape.length === 2) {
    const inner = shape[1];
    for (let i = 0; i < value.length; i++) {
      const row = value[i];
      if (!Array.isArray(row) || row.length !== inner) throw ragged(what, [i], shape, 1);
    }
    return;
  }
  visitNesting(value, shape, what, 0, []);
}

function visitNesting(v: unknown, shape: readonly number[], what: string, depth: number, path: number[]): void {
  if (!Array.isArray(v) || v.length !== shape[depth]) throw ragged(what, path, shape, depth);
  if (depth + 1 === shape.length) return;
  for (let i = 0; i < v.length; i++) {
    path.push(i);
    visitNesting(v[i], shape, what, depth + 1, path);
    path.pop();
  }
}

/** The error for a value that does not fit `dtype` (a bad base64 string is named as such). */
function badValue(what: string, where: string, v: unknown, dtype: DType, b64: boolean): Error {
  const base64 = dtype === "bytes" && ((b64 && typeof v === "string") || isB64Object(v));
  const is = base64 ? "not valid base64" : describeValue(v);
  return errors.invalidInput(`${what}: ${where} is ${is}, expected ${DTYPE_INFO[dtype].expect}`);
}

/**
 * Flattens a rectangular nested array (or a scalar) into a typed array and its
 * shape. `what` names the tensor in errors ("input 'x'"). The nesting is checked
 * before anything is allocated. `b64`: BYTES strings are base64.
 */
export function fromNested(value: unknown, dtype: DType, what: string, b64 = false): Tensor {
  const shape: number[] = [];
  let probe = value;
  while (Array.isArray(probe)) {
    if (shape.length === MAX_RANK) {
      throw errors.invalidInput(`${what}: nested more than ${MAX_RANK} levels deep (the rank limit is ${MAX_RANK})`);
    }
    shape.push(probe.length);
    probe = probe[0];
  }
  checkNesting(value, shape, what);
  const out = allocate(dtype, sizeOf(shape));
  if (shape.length <= 2 && fillRectangular(value, shape, dtype, out, b64)) return { data: out, shape };
  walkNested(value, dtype, what, b64, shape, out, { k: 0 }, 0, []);
  return { data: out, shape };
}

/** fromNested's slow path: fills `out` in order and names the first bad value's position. */
function walkNested(
  v: unknown,
  dtype: DType,
  what: string,
  b64: boolean,
  shape: readonly number[],
  out: TypedData,
  next: { k: number },
  depth: number,
  path: number[],
): void {
  if (depth === shape.length) {
    if (!put(out, next.k++, v, dtype, b64)) {
      const at = path.length > 0 ? ` at [${path.join(",")}]` : "";
      throw badValue(what, `value${at}`, v, dtype, b64);
    }
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[depth]) throw ragged(what, path, shape, depth);
  for (let i = 0; i < v.length; i++) {
    path.push(i);
    walkNested(v[i], dtype, what, b64, shape, out, next, depth + 1, path);
    path.pop();
  }
}

/**
 * V2 `data`: flat (row-major, any length; the caller checks it against the shape)
 * or nested exactly as `shape`, so that what is accepted is what the OpenAPI
 * schema can say.
 */
export function fromFlat(
  value: unknown,
  dtype: DType,
  what: string,
  shape?: readonly number[],
  b64 = false,
): TypedData {
  if (!Array.isArray(value)) throw errors.invalidInput(`${what}: data must be an array`);
  if (value.some(Array.isArray)) {
    const t = fromNested(value, dtype, what, b64);
    if (shape !== undefined && t.shape.join(",") !== shape.join(",")) {
      throw errors.invalidInput(
        `${what}: nested data has shape [${t.shape.join(",")}] but 'shape' is [${shape.join(",")}] (send data flat, or nested as the shape)`,
      );
    }
    return t.data;
  }
  const out = allocate(dtype, value.length);
  for (let i = 0; i < value.length; i++) {
    if (!put(out, i, value[i], dtype, b64)) throw badValue(what, `data[${i}]`, value[i], dtype, b64);
  }
  return out;
}

/** Checks a tensor's shape against the signature; returns its row count. */
export function checkShape(shape: readonly number[], spec: TensorSpec, what: string): number {
  if (shape.length !== spec.shape.length) {
    throw errors.invalidInput(
      `${what}: shape [${shape.join(",")}] has rank ${shape.length}, expected rank ${spec.shape.length} [${spec.shape.join(",")}]`,
    );
  }
  for (let d = 0; d < shape.length; d++) {
    const want = spec.shape[d] as number;
    if (want !== -1 && shape[d] !== want) {
      throw errors.invalidInput(
        `${what}: shape [${shape.join(",")}] does not match [${spec.shape.join(",")}] at dimension ${d}`,
      );
    }
  }
  return shape[0] ?? 1;
}

/** A BYTES element in V1 / TF Serving REST JSON: its text, or `{"b64": ...}` when it is not UTF-8 (TF Serving's form). */
function bytesJson(b: Uint8Array): string | { b64: string } {
  return utf8Text(b) ?? { b64: encodeBase64(b) };
}

/**
 * One element as JSON: a boolean for bool, a number for numbers (float16 decoded; an int64 only while a double
 * holds it exactly), text or `{"b64"}` for bytes.
 */
function jsonValue(v: number | bigint | Uint8Array, dtype: DType, what: string): number | boolean | JsonBytes {
  if (v instanceof Uint8Array) return bytesJson(v);
  if (typeof v === "bigint") {
    if (v > BigInt(JSON_INT64_MAX) || v < -BigInt(JSON_INT64_MAX)) {
      throw errors.invalidInput(
        `${what}: value ${v} is beyond what a JSON number holds exactly (±(2^53 − 1)); ask for this output as binary data`,
      );
    }
    return Number(v);
  }
  if (dtype === "float16") return halfToNumber(v);
  return dtype === "bool" ? v !== 0 : v;
}

type JsonBytes = string | { b64: string };

/** Elements `from` to `to` as JSON values; numbers are copied in a loop (no subarray view, no iterator). */
function plainSlice(
  data: TypedData,
  dtype: DType,
  what: string,
  from = 0,
  to = data.length,
): (number | boolean | JsonBytes)[] {
  if (isBytes(data)) return data.slice(from, to).map(bytesJson);
  const out: (number | boolean | JsonBytes)[] = [];
  if (dtype === "bool") for (let i = from; i < to; i++) out.push(data[i] !== 0);
  else if (dtype === "float16") for (let i = from; i < to; i++) out.push(halfToNumber(data[i] as number));
  else if (data instanceof BigInt64Array)
    for (let i = from; i < to; i++) out.push(jsonValue(data[i] as bigint, dtype, what));
  else for (let i = from; i < to; i++) out.push(data[i] as number);
  return out;
}

/**
 * `what` names the output in the error an int64 beyond JSON's exact range gets. BYTES as V1 gives them (V2 JSON
 * takes bytesToJson instead).
 */
export function toPlain(data: TypedData, dtype: DType, what = "output"): (number | boolean | JsonBytes)[] {
  return plainSlice(data, dtype, what);
}

/** Nested JSON array of `data` with `shape` (a scalar for rank 0). */
export function toNested(
  data: TypedData,
  shape: readonly number[],
  dtype: DType,
  offset = 0,
  depth = 0,
  what = "output",
): unknown {
  if (depth === shape.length) return jsonValue(data[offset] as number | bigint | Uint8Array, dtype, what);
  const n = shape[depth] as number;
  let stride = 1;
  for (let d = depth + 1; d < shape.length; d++) stride *= shape[d] as number;
  if (depth === shape.length - 1) return plainSlice(data, dtype, what, offset, offset + n);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = toNested(data, shape, dtype, offset + i * stride, depth + 1, what);
  return out;
}
