/**
 * Pure conversions between JSON values and typed arrays: nested arrays in,
 * nested or flat arrays out. Every rejection is a 400 naming what is wrong.
 */
import { errors } from "../errors.js";
import { DTYPE_INFO, JSON_INT64_MAX, jsonRange } from "./dtypes.js";
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

/** Writes one scalar; returns false when it does not fit the dtype. */
function put(out: TypedData, i: number, v: unknown, dtype: DType): boolean {
  if (dtype === "float32") {
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
function fillRectangular(value: unknown, shape: readonly number[], dtype: DType, out: TypedData): boolean {
  if (shape.length === 0) return put(out, 0, value, dtype);
  const rows = value as unknown[];
  if (shape.length === 1) {
    for (let i = 0; i < rows.length; i++) if (!put(out, i, rows[i], dtype)) return false;
    return true;
  }
  const inner = shape[1] as number;
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (!Array.isArray(row) || row.length !== inner) return false;
    for (let j = 0; j < inner; j++) if (!put(out, k++, row[j], dtype)) return false;
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
 */
function checkNesting(value: unknown, shape: readonly number[], what: string): void {
  const path: number[] = [];
  const visit = (v: unknown, depth: number): void => {
    if (!Array.isArray(v) || v.length !== shape[depth]) throw ragged(what, path, shape, depth);
    if (depth + 1 === shape.length) return;
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      visit(v[i], depth + 1);
      path.pop();
    }
  };
  if (shape.length > 0) visit(value, 0);
}

/**
 * Flattens a rectangular nested array (or a scalar) into a typed array and its
 * shape. `what` names the tensor in errors ("input 'x'"). The nesting is checked
 * before anything is allocated.
 */
export function fromNested(value: unknown, dtype: DType, what: string): Tensor {
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
  if (shape.length <= 2 && fillRectangular(value, shape, dtype, out)) return { data: out, shape };
  let k = 0;
  const path: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (!put(out, k++, v, dtype)) {
        const at = path.length > 0 ? ` at [${path.join(",")}]` : "";
        throw errors.invalidInput(`${what}: value${at} is ${describeValue(v)}, expected ${DTYPE_INFO[dtype].expect}`);
      }
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw ragged(what, path, shape, depth);
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      walk(v[i], depth + 1);
      path.pop();
    }
  };
  walk(value, 0);
  return { data: out, shape };
}

/**
 * V2 `data`: flat (row-major, any length; the caller checks it against the shape)
 * or nested exactly as `shape`, so that what is accepted is what the OpenAPI
 * schema can say.
 */
export function fromFlat(value: unknown, dtype: DType, what: string, shape?: readonly number[]): TypedData {
  if (!Array.isArray(value)) throw errors.invalidInput(`${what}: data must be an array`);
  if (value.some(Array.isArray)) {
    const t = fromNested(value, dtype, what);
    if (shape !== undefined && t.shape.join(",") !== shape.join(",")) {
      throw errors.invalidInput(
        `${what}: nested data has shape [${t.shape.join(",")}] but 'shape' is [${shape.join(",")}] (send data flat, or nested as the shape)`,
      );
    }
    return t.data;
  }
  const out = allocate(dtype, value.length);
  for (let i = 0; i < value.length; i++) {
    if (!put(out, i, value[i], dtype)) {
      throw errors.invalidInput(
        `${what}: data[${i}] is ${describeValue(value[i])}, expected ${DTYPE_INFO[dtype].expect}`,
      );
    }
  }
  return out;
}

/** Checks a tensor's shape against the signature; returns its row count. */
export function checkShape(shape: readonly number[], spec: TensorSpec, what: string): number {
  const expected = () => `[${spec.shape.join(",")}]`;
  if (shape.length !== spec.shape.length) {
    throw errors.invalidInput(
      `${what}: shape [${shape.join(",")}] has rank ${shape.length}, expected rank ${spec.shape.length} ${expected()}`,
    );
  }
  for (let d = 0; d < shape.length; d++) {
    const want = spec.shape[d] as number;
    if (want !== -1 && shape[d] !== want) {
      throw errors.invalidInput(`${what}: shape [${shape.join(",")}] does not match ${expected()} at dimension ${d}`);
    }
  }
  return shape[0] ?? 1;
}

/** One element as JSON: a boolean for bool, a number otherwise (an int64 only while a double holds it exactly). */
function jsonValue(v: number | bigint, dtype: DType, what: string): number | boolean {
  if (typeof v === "bigint") {
    if (v > BigInt(JSON_INT64_MAX) || v < -BigInt(JSON_INT64_MAX)) {
      throw errors.invalidInput(
        `${what}: value ${v} is beyond what a JSON number holds exactly (±(2^53 − 1)); ask for this output as binary data`,
      );
    }
    return Number(v);
  }
  return dtype === "bool" ? v !== 0 : v;
}

function plainSlice(data: TypedData, dtype: DType, what: string): (number | boolean)[] {
  if (dtype === "bool") return Array.from(data as Uint8Array, (v) => v !== 0);
  if (data instanceof BigInt64Array) return Array.from(data, (v) => jsonValue(v, dtype, what));
  return Array.from(data as Float32Array);
}

/** `what` names the output in the error an int64 beyond JSON's exact range gets. */
export function toPlain(data: TypedData, dtype: DType, what = "output"): (number | boolean)[] {
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
  if (depth === shape.length) return jsonValue(data[offset] as number | bigint, dtype, what);
  const n = shape[depth] as number;
  let stride = 1;
  for (let d = depth + 1; d < shape.length; d++) stride *= shape[d] as number;
  if (depth === shape.length - 1) return plainSlice(data.subarray(offset, offset + n), dtype, what);
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = toNested(data, shape, dtype, offset + i * stride, depth + 1, what);
  return out;
}
