/**
 * Tensors as raw little-endian bytes, the form of the V2 binary tensor data
 * extension (HTTP) and of V2 gRPC's raw_input_contents/raw_output_contents
 * (BYTES: each element length-prefixed, bytes-tensors.ts; FP16: 2 bytes each).
 * Pure; every rejection is a 400/INVALID_ARGUMENT naming the tensor and field.
 */
import { errors } from "../errors.js";
import { fromLengthPrefixed, isBytes, toLengthPrefixed } from "./bytes-tensors.js";
import { DTYPE_INFO } from "./dtypes.js";
import { HALF_MAX, halfIsFinite, halfToNumber, numberToHalf } from "./half.js";
import type { BytesData, DType, OutputTensor, TypedData } from "./model/loaded-model.js";
import { allocate, sizeOf } from "./tensors.js";

/** Bytes per element of each fixed-size V2 datatype (BYTES has none). */
const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

function reader(view: DataView, datatype: string): (i: number) => number | bigint {
  switch (datatype) {
    case "BOOL":
    case "UINT8":
      return (i) => view.getUint8(i);
    case "INT8":
      return (i) => view.getInt8(i);
    case "UINT16":
      return (i) => view.getUint16(i * 2, true);
    case "INT16":
      return (i) => view.getInt16(i * 2, true);
    case "FP16":
      return (i) => halfToNumber(view.getUint16(i * 2, true));
    case "UINT32":
      return (i) => view.getUint32(i * 4, true);
    case "INT32":
      return (i) => view.getInt32(i * 4, true);
    case "FP32":
      return (i) => view.getFloat32(i * 4, true);
    case "UINT64":
      return (i) => view.getBigUint64(i * 8, true);
    case "INT64":
      return (i) => view.getBigInt64(i * 8, true);
    default:
      return (i) => view.getFloat64(i * 8, true);
  }
}

/**
 * Decodes `bytes` holding a `datatype` tensor of `shape` into the model's dtype.
 * `field` names where the bytes came from (binary_data_size, raw_input_contents[i]).
 */
export function fromRaw(
  bytes: Uint8Array,
  datatype: string,
  shape: readonly number[],
  dtype: DType,
  what: string,
  field: string,
): TypedData {
  const n = sizeOf(shape);
  if (datatype === "BYTES" && dtype === "bytes") return fromLengthPrefixed(bytes, n, what, field);
  if (dtype === "bytes") throw errors.invalidInput(`${what}: datatype ${datatype} does not match the model's BYTES`);
  const width = ELEMENT_BYTES[datatype];
  if (width === undefined) throw errors.invalidInput(`${what}: datatype ${datatype} has no fixed-size binary form`);
  if (bytes.byteLength % width !== 0) {
    throw errors.invalidInput(
      `${what}: ${field} is ${bytes.byteLength} bytes, not a whole number of ${datatype} elements (${width} bytes each)`,
    );
  }
  if (bytes.byteLength !== n * width) {
    throw errors.invalidInput(
      `${what}: ${field} is ${bytes.byteLength} bytes but shape [${shape.join(",")}] of ${datatype} needs ${n * width}`,
    );
  }
  const info = DTYPE_INFO[dtype];
  // The datatype the model has (FP32 into float32, INT64 into int64, …) is the common case: one copy, then checks.
  if (datatype === info.v2) {
    const out = allocate(dtype, n) as Exclude<TypedData, BytesData>;
    new Uint8Array(out.buffer).set(bytes);
    if (dtype === "float32") {
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(out[i] as number)) throw errors.invalidInput(`${what}: element ${i} is not finite`);
      }
    } else if (dtype === "float16") {
      for (let i = 0; i < n; i++) {
        if (!halfIsFinite(out[i] as number)) throw errors.invalidInput(`${what}: element ${i} is not finite`);
      }
    } else if (dtype === "bool") {
      for (let i = 0; i < n; i++) {
        const v = out[i] as number;
        if (v !== 0 && v !== 1)
          throw errors.invalidInput(`${what}: element ${i} is ${v}, expected a BOOL byte (0 or 1)`);
      }
    }
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = reader(view, datatype);
  const out = allocate(dtype, n);
  const range = info.range;
  for (let i = 0; i < n; i++) {
    const raw = read(i);
    if (range !== undefined) {
      // Integers: compared exactly (a UINT64 beyond 2^53 must not round into range).
      const exact = typeof raw === "bigint" ? raw : BigInt(raw);
      if (exact < range[0] || exact > range[1])
        throw errors.invalidInput(`${what}: element ${i} is ${String(raw)}, outside the ${dtype} range`);
      if (out instanceof BigInt64Array) out[i] = exact;
      else out[i] = Number(exact);
      continue;
    }
    const v = typeof raw === "bigint" ? Number(raw) : raw;
    if (dtype === "float32") {
      if (!Number.isFinite(v)) throw errors.invalidInput(`${what}: element ${i} is not finite`);
    } else if (dtype === "float16") {
      if (!(Math.abs(v) <= HALF_MAX))
        throw errors.invalidInput(`${what}: element ${i} is ${v}, beyond float16's range (±${HALF_MAX})`);
      out[i] = numberToHalf(v);
      continue;
    } else if (v !== 0 && v !== 1) {
      throw errors.invalidInput(`${what}: element ${i} is ${v}, expected a BOOL byte (0 or 1)`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * An output's bytes as the V2 binary form of its datatype (little-endian; BOOL, UINT8 and INT8: one byte each;
 * FP16: its half bits; BYTES: length-prefixed elements).
 */
export function toRaw(t: OutputTensor): Uint8Array {
  if (isBytes(t.data)) return toLengthPrefixed(t.data);
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}
