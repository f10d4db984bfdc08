/**
 * Open Inference Protocol (V2) infer bodies as JSON (REST), pure. Wider or narrower numeric
 * datatypes of the same kind are accepted and range-checked (clients send FP64
 * from numpy float64); kinds never mix. Tensors come as JSON `data` or, with the
 * binary tensor data extension, as raw bytes after the JSON header
 * (`parameters.binary_data_size`); outputs go back as either. BYTES in JSON are
 * UTF-8 strings, or base64 strings when the tensor's `parameters.content_type`
 * is "base64" (MLServer's convention; Triton has no base64 form in JSON).
 */
import { errors } from "../../errors.js";
import { bytesToJson, isBytes } from "../bytes-tensors.js";
import type { OutputTensor, Signature, Tensor } from "../model/loaded-model.js";
import { fromRaw, toRaw } from "../raw-tensors.js";
import { fromFlat, sizeOf, toPlain } from "../tensors.js";
import {
  checkShapeField,
  classCountFor,
  inSignatureOrder,
  resolveInput,
  type V2Request,
  v2Datatype,
} from "../v2-protocol.js";
import { finish, isPlainObject, type Limits } from "../validate.js";

function binarySize(item: Record<string, unknown>, what: string): number | undefined {
  const params = item.parameters;
  if (params === undefined) return undefined;
  if (!isPlainObject(params)) throw errors.invalidInput(`${what}: 'parameters' must be an object`);
  const size = params.binary_data_size;
  if (size === undefined) return undefined;
  if (!Number.isInteger(size) || (size as number) < 0)
    throw errors.invalidInput(`${what}: parameters.binary_data_size must be a non-negative integer`);
  return size as number;
}

/** Whether a BYTES tensor's strings are base64 (`parameters.content_type: "base64"`); other content types are hints. */
function base64Strings(item: Record<string, unknown>, what: string): boolean {
  const params = item.parameters;
  if (!isPlainObject(params) || !Object.hasOwn(params, "content_type")) return false;
  const type = params.content_type;
  if (typeof type !== "string") throw errors.invalidInput(`${what}: parameters.content_type must be a string`);
  return type === "base64" && item.datatype === "BYTES";
}

/**
 * `binary` is the body after the JSON header when the request used the binary
 * extension (Inference-Header-Content-Length); inputs with binary_data_size take
 * their bytes from it in order, and it must be used up exactly.
 */
export function decodeV2(
  body: unknown,
  sig: Signature,
  limits: Limits,
  binary?: Uint8Array,
  /** The output index that answers class_count (with-processing.ts classifiableOutput); undefined: refused. */
  classifiable?: number,
): V2Request {
  if (body === undefined) throw errors.invalidInput("request body is empty");
  if (!isPlainObject(body)) throw errors.invalidInput("request body must be a JSON object with 'inputs'");
  const id = body.id;
  if (id !== undefined && typeof id !== "string") throw errors.invalidInput("'id' must be a string");
  if (!Array.isArray(body.inputs) || body.inputs.length === 0)
    throw errors.invalidInput("'inputs' must be a non-empty array");
  const given = new Map<string, Tensor>();
  let offset = 0;
  for (const [i, item] of body.inputs.entries()) {
    if (!isPlainObject(item)) throw errors.invalidInput(`inputs[${i}] must be an object`);
    const spec = resolveInput(sig, item.name, item.datatype, `inputs[${i}]`);
    const what = `input '${spec.name}'`;
    if (given.has(spec.name)) throw errors.invalidInput(`${what} is given twice`);
    const datatype = item.datatype as string;
    const shape = checkShapeField(item.shape, what);
    const size = binarySize(item, what);
    let data: Tensor["data"];
    if (size !== undefined) {
      if (binary === undefined) {
        throw errors.invalidInput(
          `${what}: parameters.binary_data_size is set but the request has no binary part (Inference-Header-Content-Length)`,
        );
      }
      if (Object.hasOwn(item, "data")) throw errors.invalidInput(`${what}: give 'data' or binary_data_size, not both`);
      if (offset + size > binary.byteLength) {
        throw errors.invalidInput(
          `${what}: parameters.binary_data_size ${size} runs past the end of the body (${binary.byteLength - offset} bytes left)`,
        );
      }
      data = fromRaw(
        binary.subarray(offset, offset + size),
        datatype,
        shape,
        spec.dtype,
        what,
        "parameters.binary_data_size",
      );
      offset += size;
    } else {
      if (!Object.hasOwn(item, "data")) throw errors.invalidInput(`${what}: 'data' is missing`);
      data = fromFlat(item.data, spec.dtype, what, shape, base64Strings(item, what));
      if (data.length !== sizeOf(shape)) {
        throw errors.invalidInput(
          `${what}: data has ${data.length} elements but shape [${shape.join(",")}] needs ${sizeOf(shape)}`,
        );
      }
    }
    given.set(spec.name, { data, shape });
  }
  if (binary !== undefined && offset !== binary.byteLength) {
    throw errors.invalidInput(
      `the binary part is ${binary.byteLength} bytes but the inputs' binary_data_size add up to ${offset}`,
    );
  }
  const params = body.parameters;
  if (params !== undefined && !isPlainObject(params)) throw errors.invalidInput("'parameters' must be an object");
  const binaryDefault =
    params !== undefined && Object.hasOwn(params, "binary_data_output") ? params.binary_data_output : false;
  if (typeof binaryDefault !== "boolean")
    throw errors.invalidInput("parameters.binary_data_output must be true or false");
  const { outputs, binary: binaryOut, classCount } = decodeOutputs(body.outputs, sig, binaryDefault, classifiable);
  const prepared = finish(sig, inSignatureOrder(sig, given), limits);
  return { prepared: classCount.size > 0 ? { ...prepared, classCount } : prepared, id, outputs, binary: binaryOut };
}

function decodeOutputs(
  outputs: unknown,
  sig: Signature,
  binaryDefault: boolean,
  classifiable: number | undefined,
): { outputs: number[]; binary: boolean[]; classCount: Map<number, number> } {
  const classCount = new Map<number, number>();
  if (outputs === undefined)
    return { outputs: sig.outputs.map((_, i) => i), binary: sig.outputs.map(() => binaryDefault), classCount };
  if (!Array.isArray(outputs) || outputs.length === 0) throw errors.invalidInput("'outputs' must be a non-empty array");
  const picked: number[] = [];
  const binary: boolean[] = [];
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
    const params = o.parameters;
    if (params !== undefined && !isPlainObject(params))
      throw errors.invalidInput(`output '${o.name}': 'parameters' must be an object`);
    if (params !== undefined && Object.hasOwn(params, "classification"))
      classCount.set(idx, classCountFor(classifiable, idx, o.name, params.classification));
    const b = params !== undefined && Object.hasOwn(params, "binary_data") ? params.binary_data : binaryDefault;
    if (typeof b !== "boolean")
      throw errors.invalidInput(`output '${o.name}': parameters.binary_data must be true or false`);
    picked.push(idx);
    binary.push(b);
  }
  return { outputs: picked, binary, classCount };
}

/** The JSON response and, for outputs asked for as binary, their bytes in output order. */
export function encodeV2(
  outputs: readonly OutputTensor[],
  sig: Signature,
  req: V2Request,
  modelName: string,
  modelVersion: string,
): { json: object; binary: Uint8Array[] } {
  const binary: Uint8Array[] = [];
  const json = {
    model_name: modelName,
    model_version: modelVersion,
    ...(req.id !== undefined ? { id: req.id } : {}),
    outputs: req.outputs.map((i, k) => {
      const t = outputs[i] as OutputTensor;
      const head = { name: sig.outputs[i]?.name, datatype: v2Datatype(t.dtype), shape: t.shape };
      if (!req.binary[k] && isBytes(t.data)) {
        const { data, base64 } = bytesToJson(t.data);
        return { ...head, data, ...(base64 ? { parameters: { content_type: "base64" } } : {}) };
      }
      if (!req.binary[k]) return { ...head, data: toPlain(t.data, t.dtype, `output '${head.name}'`) };
      const bytes = toRaw(t);
      binary.push(bytes);
      return { ...head, parameters: { binary_data_size: bytes.byteLength } };
    }),
  };
  return { json, binary };
}
