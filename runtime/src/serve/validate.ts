/**
 * What both protocols hand the batcher: tensors in signature order that already
 * passed every check, so a request that reaches a batch cannot fail it.
 */
import { errors } from "../errors.js";
import { isBytes, utf8Text } from "./bytes-tensors.js";
import type { Signature, Tensor, TensorSpec } from "./model/loaded-model.js";
import { checkShape } from "./tensors.js";

export interface Prepared {
  /** In signature input order. */
  inputs: Tensor[];
  rows: number;
  /** Requests with equal keys can be concatenated along dimension 0. */
  batchKey: string;
  /** V2 class_count per signature output index (the classification extension; model/with-processing.ts). */
  classCount?: ReadonlyMap<number, number>;
}

export interface Limits {
  maxRequestRows: number;
  /** The body (and gRPC message) limit: a TF Serving broadcast may not fill more than 4-byte values than it could carry. */
  bodyLimitBytes: number;
}

/** The row limit, also checked before a claimed shape is allocated. */
export function checkRows(rows: number, limits: Limits): void {
  if (rows > limits.maxRequestRows) {
    throw errors.invalidInput(`request has ${rows} rows, more than the limit of ${limits.maxRequestRows}`);
  }
}

/**
 * Shape checks, equal row counts across inputs (batched models: they are concatenated along dimension 0) and the row
 * limit (on the first input). An unbatched model's inputs may differ in dimension 0 — a sequence of frames beside a
 * [1,1,128] state, say — since each request is its own call.
 */
export function finish(signature: Signature, inputs: Tensor[], limits: Limits): Prepared {
  let rows = -1;
  let key = "";
  // A loop, no closure: this runs once per request.
  for (let i = 0; i < signature.inputs.length; i++) {
    const spec = signature.inputs[i] as TensorSpec;
    const t = inputs[i] as Tensor;
    const what = `input '${spec.name}'`;
    const r = checkShape(t.shape, spec, what);
    if (spec.utf8 === true && isBytes(t.data)) checkText(t.data, what);
    if (rows === -1) rows = r;
    else if (r !== rows && signature.batched)
      throw errors.invalidInput(`${what} has ${r} rows but '${signature.inputs[0]?.name}' has ${rows}`);
    key += `${innerKey(t.shape)};`;
  }
  if (rows < 1) throw errors.invalidInput("request has no rows");
  checkRows(rows, limits);
  return { inputs, rows, batchKey: key };
}

/** `shape.slice(1).join("x")` without the two arrays. */
function innerKey(shape: readonly number[]): string {
  if (shape.length <= 1) return "";
  let k = String(shape[1]);
  for (let d = 2; d < shape.length; d++) k += `x${shape[d]}`;
  return k;
}

/**
 * A text input's elements, checked here so that a batch cannot fail on another caller's bytes. NUL is refused too:
 * onnxruntime-node cuts a string at its first NUL (seen: "a\0b" reached the model as "a"), silently.
 */
function checkText(data: readonly Uint8Array[], what: string): void {
  for (let i = 0; i < data.length; i++) {
    const b = data[i] as Uint8Array;
    if (utf8Text(b) === undefined || b.includes(0))
      throw errors.invalidInput(
        `${what}: BYTES element ${i} is not valid UTF-8 text without NUL bytes, which this model's strings must be`,
      );
  }
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
