/**
 * The one table of the element types a served model may have: their typed
 * arrays, V2 and TF Serving names, which V2 datatypes a client may send for
 * them, and the values JSON may carry. Every codec reads it, so a dtype cannot
 * be known to one protocol and missing from another. Pure.
 */
import { EMPTY_BYTES } from "./bytes-tensors.js";
import { HALF_MAX } from "./half.js";
import type { DType, TypedData } from "./model/loaded-model.js";

const INTEGERS = ["INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"] as const;

interface DTypeInfo {
  /** The V2 datatype the model's tensors are reported and answered in. */
  v2: string;
  /** TF Serving's DataType of the same layout. */
  tf: string;
  /** V2 datatypes a request may send for an input of this dtype (integers are range-checked per element). */
  accepts: readonly string[];
  /** Inclusive integer range a value must lie in (JSON and binary); undefined for floats, bool and bytes. */
  range?: readonly [bigint, bigint];
  /** What a JSON value must be, for errors. */
  expect: string;
  allocate(size: number): TypedData;
}

/** JSON numbers are doubles: an int64 in JSON is exact only within ±(2^53 − 1). */
export const JSON_INT64_MAX = Number.MAX_SAFE_INTEGER;

export const DTYPE_INFO: Readonly<Record<DType, DTypeInfo>> = {
  float32: {
    v2: "FP32",
    tf: "DT_FLOAT",
    accepts: ["FP32", "FP16", "FP64"],
    expect: "a finite number within float32's range",
    allocate: (n) => new Float32Array(n),
  },
  int32: {
    v2: "INT32",
    tf: "DT_INT32",
    accepts: INTEGERS,
    range: [-2147483648n, 2147483647n],
    expect: "an integer in the int32 range",
    allocate: (n) => new Int32Array(n),
  },
  bool: { v2: "BOOL", tf: "DT_BOOL", accepts: ["BOOL"], expect: "true or false", allocate: (n) => new Uint8Array(n) },
  int64: {
    v2: "INT64",
    tf: "DT_INT64",
    accepts: INTEGERS,
    range: [-(2n ** 63n), 2n ** 63n - 1n],
    expect: "an integer within ±(2^53 − 1) (JSON numbers are exact only there; send larger ones as binary INT64)",
    allocate: (n) => new BigInt64Array(n),
  },
  uint8: {
    v2: "UINT8",
    tf: "DT_UINT8",
    accepts: INTEGERS,
    range: [0n, 255n],
    expect: "an integer from 0 to 255",
    allocate: (n) => new Uint8Array(n),
  },
  int8: {
    v2: "INT8",
    tf: "DT_INT8",
    accepts: INTEGERS,
    range: [-128n, 127n],
    expect: "an integer from -128 to 127",
    allocate: (n) => new Int8Array(n),
  },
  float16: {
    v2: "FP16",
    tf: "DT_HALF",
    // Wider floats are rounded to the nearest half (range-checked), as a float32 input takes FP64.
    accepts: ["FP16", "FP32", "FP64"],
    expect: `a finite number within float16's range (±${HALF_MAX})`,
    allocate: (n) => new Uint16Array(n),
  },
  bytes: {
    v2: "BYTES",
    tf: "DT_STRING",
    accepts: ["BYTES"],
    expect:
      'a string (UTF-8 text; binary as {"b64": "<base64>"} in V1, or base64 strings with content_type "base64" in V2)',
    allocate: (n) => new Array<Uint8Array>(n).fill(EMPTY_BYTES),
  },
};

const JSON_RANGE = Object.fromEntries(
  Object.entries(DTYPE_INFO).map(([d, info]) => {
    const r = info.range;
    if (r === undefined) return [d, undefined];
    return [d, d === "int64" ? [-JSON_INT64_MAX, JSON_INT64_MAX] : [Number(r[0]), Number(r[1])]];
  }),
) as Readonly<Record<DType, readonly [number, number] | undefined>>;

/** The numeric range a JSON value for an integer `dtype` must lie in (int64: the exact doubles); computed once. */
export function jsonRange(dtype: DType): readonly [number, number] | undefined {
  return JSON_RANGE[dtype];
}
