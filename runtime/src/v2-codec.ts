/**
 * Open Inference Protocol (V2) infer bodies, pure. Wider or narrower numeric
 * datatypes of the same kind are accepted and range-checked (clients send FP64
 * from numpy float64); kinds never mix.
 */
import { errors } from "./errors.js";
import type { DType, OutputTensor, Signature, Tensor } from "./model.js";
import { fromFlat, sizeOf, toPlain } from "./tensors.js";
import { finish, isPlainObject, type Limits, type Prepared } from "./validate.js";

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

const ACCEPTS: Record<DType, readonly string[]> = {
  float32: ["FP32", "FP16", "FP64"],
  int32: ["INT32", "INT8", "INT16", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"],
  bool: ["BOOL"],
};

export function v2Datatype(dtype: DType): string {
  return dtype === "float32" ? "FP32" : dtype === "int32" ? "INT32" : "BOOL";
}

export interface V2Request {
  prepared: Prepared;
  id: string | undefined;
  /** Indices into signature outputs, in the order asked for. */
  outputs: number[];
}

function checkShapeField(shape: unknown, what: string): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw errors.invalidInput(`${what}: shape must be an array of non-negative integers`);
  }
  return shape as number[];
}

export function decodeV2(body: unknown, sig: Signature, limits: Limits): V2Request {
  if (body === undefined) throw errors.invalidInput("request body is empty");
  if (!isPlainObject(body)) throw errors.invalidInput("request body must be a JSON object with 'inputs'");
  const id = body.id;
  if (id !== undefined && typeof id !== "string") throw errors.invalidInput("'id' must be a string");
  if (!Array.isArray(body.inputs) || body.inputs.length === 0)
    throw errors.invalidInput("'inputs' must be a non-empty array");
  const given = new Map<string, Tensor>();
  for (const [i, item] of body.inputs.entries()) {
    if (!isPlainObject(item)) throw errors.invalidInput(`inputs[${i}] must be an object`);
    const name = item.name;
    if (typeof name !== "string") throw errors.invalidInput(`inputs[${i}]: 'name' must be a string`);
    const spec = sig.inputs.find((s) => s.name === name);
    const what = `input '${name}'`;
    if (spec === undefined)
      throw errors.invalidInput(
        `unknown input '${name}'; the model takes ${sig.inputs.map((s) => `'${s.name}'`).join(", ")}`,
      );
    if (given.has(name)) throw errors.invalidInput(`${what} is given twice`);
    const datatype = item.datatype;
    if (typeof datatype !== "string" || !(V2_DATATYPES as readonly string[]).includes(datatype)) {
      throw errors.invalidInput(`${what}: unknown datatype '${String(datatype)}'`);
    }
    if (!ACCEPTS[spec.dtype].includes(datatype)) {
      throw errors.invalidInput(`${what}: datatype ${datatype} does not match the model's ${v2Datatype(spec.dtype)}`);
    }
    const shape = checkShapeField(item.shape, what);
    if (!Object.hasOwn(item, "data")) throw errors.invalidInput(`${what}: 'data' is missing`);
    const data = fromFlat(item.data, spec.dtype, what);
    if (data.length !== sizeOf(shape)) {
      throw errors.invalidInput(
        `${what}: data has ${data.length} elements but shape [${shape.join(",")}] needs ${sizeOf(shape)}`,
      );
    }
    given.set(name, { data, shape });
  }
  const inputs = sig.inputs.map((spec) => {
    const t = given.get(spec.name);
    if (t === undefined) throw errors.invalidInput(`input '${spec.name}' is missing`);
    return t;
  });
  return { prepared: finish(sig, inputs, limits), id, outputs: decodeOutputs(body.outputs, sig) };
}

function decodeOutputs(outputs: unknown, sig: Signature): number[] {
  if (outputs === undefined) return sig.outputs.map((_, i) => i);
  if (!Array.isArray(outputs) || outputs.length === 0) throw errors.invalidInput("'outputs' must be a non-empty array");
  const picked: number[] = [];
  for (const [i, o] of outputs.entries()) {
    if (!isPlainObject(o) || typeof o.name !== "string")
      throw errors.invalidInput(`outputs[${i}]: 'name' must be a string`);
    const idx = sig.outputs.findIndex((s) => s.name === o.name);
    if (idx === -1) {
      throw errors.invalidInput(
        `unknown output '${o.name}'; the model gives ${sig.outputs.map((s) => `'${s.name}'`).join(", ")}`,
      );
    }
    if (picked.includes(idx)) throw errors.invalidInput(`output '${o.name}' is asked for twice`);
    picked.push(idx);
  }
  return picked;
}

export function encodeV2(
  outputs: readonly OutputTensor[],
  sig: Signature,
  req: V2Request,
  modelName: string,
  modelVersion: string,
): object {
  return {
    model_name: modelName,
    model_version: modelVersion,
    ...(req.id !== undefined ? { id: req.id } : {}),
    outputs: req.outputs.map((i) => {
      const t = outputs[i] as OutputTensor;
      return {
        name: sig.outputs[i]?.name,
        datatype: v2Datatype(t.dtype),
        shape: t.shape,
        data: toPlain(t.data, t.dtype),
      };
    }),
  };
}
