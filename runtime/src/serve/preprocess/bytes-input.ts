/**
 * The BYTES input a preprocessor takes in place of the model inputs it produces (one element per file or text).
 */
import type { DType, TensorSpec } from "../model/loaded-model.js";

/**
 * `"bytes"` joins DType with the BYTES dtype work of issue #25 (loaded-model.ts); the cast keeps this file compiling
 * on either side of that merge, and is a no-op after it.
 */
const BYTES = "bytes" as string as DType;

/** A BYTES input of `items` elements (-1: any number). */
export function bytesInput(name: string, items = -1): TensorSpec {
  return { name, dtype: BYTES, shape: [items] };
}
