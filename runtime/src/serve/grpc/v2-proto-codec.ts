/**
 * V2 gRPC (inference.GRPCInferenceService) ModelInfer messages, pure. Inputs come
 * as raw_input_contents (what tritonclient.grpc sends) or typed `contents`; the
 * name, datatype and shape rules are the HTTP codec's. Outputs go back as
 * raw_output_contents, as Triton answers.
 */
import { errors } from "../../errors.js";
import type { OutputTensor, Signature, Tensor } from "../model/loaded-model.js";
import { fromRaw, toRaw } from "../raw-tensors.js";
import { fromFlat, sizeOf } from "../tensors.js";
import {
  checkShapeField,
  classCountFor,
  inSignatureOrder,
  resolveInput,
  type V2Request,
  v2Datatype,
} from "../v2-protocol.js";
import { finish, type Limits } from "../validate.js";

interface InferInputTensor {
  name: string;
  datatype: string;
  shape: number[];
  contents: Record<string, unknown[]> | null;
}

export interface ModelInferRequest {
  model_name: string;
  model_version: string;
  id: string;
  inputs: InferInputTensor[];
  outputs: { name: string; parameters?: Record<string, unknown> }[];
  raw_input_contents: Buffer[];
}

/** The typed-contents field each datatype travels in (FP16 has none: raw only). */
const CONTENTS_FIELD: Readonly<Record<string, string>> = {
  BOOL: "bool_contents",
  INT8: "int_contents",
  INT16: "int_contents",
  INT32: "int_contents",
  INT64: "int64_contents",
  UINT8: "uint_contents",
  UINT16: "uint_contents",
  UINT32: "uint_contents",
  UINT64: "uint64_contents",
  FP32: "fp32_contents",
  FP64: "fp64_contents",
  BYTES: "bytes_contents",
};

function typedContents(t: InferInputTensor, what: string): unknown[] {
  const field = CONTENTS_FIELD[t.datatype];
  const contents = t.contents ?? {};
  for (const [k, v] of Object.entries(contents)) {
    if (k !== field && Array.isArray(v) && v.length > 0)
      throw errors.invalidInput(
        `${what}: contents.${k} given for datatype ${t.datatype} (use contents.${field ?? "none; send raw_input_contents"})`,
      );
  }
  if (field === undefined)
    throw errors.invalidInput(`${what}: datatype ${t.datatype} must be sent in raw_input_contents`);
  return contents[field] ?? [];
}

export function decodeModelInfer(
  req: ModelInferRequest,
  sig: Signature,
  limits: Limits,
  /** The output index that answers class_count (with-processing.ts classifiableOutput); undefined: refused. */
  classifiable?: number,
): V2Request {
  if (req.inputs.length === 0) throw errors.invalidInput("'inputs' must not be empty");
  const raw = req.raw_input_contents;
  if (raw.length > 0 && raw.length !== req.inputs.length) {
    throw errors.invalidInput(
      `raw_input_contents has ${raw.length} entries but there are ${req.inputs.length} inputs (all inputs raw, or none)`,
    );
  }
  const given = new Map<string, Tensor>();
  req.inputs.forEach((t, i) => {
    const spec = resolveInput(sig, t.name, t.datatype, `inputs[${i}]`);
    const what = `input '${spec.name}'`;
    if (given.has(spec.name)) throw errors.invalidInput(`${what} is given twice`);
    const shape = checkShapeField(t.shape, what);
    let data: Tensor["data"];
    if (raw.length > 0) {
      if (Object.values(t.contents ?? {}).some((v) => Array.isArray(v) && v.length > 0))
        throw errors.invalidInput(`${what}: give contents or raw_input_contents, not both`);
      data = fromRaw(raw[i] as Buffer, t.datatype, shape, spec.dtype, what, `raw_input_contents[${i}]`);
    } else {
      const values = typedContents(t, what);
      data = fromFlat(values, spec.dtype, what);
      if (data.length !== sizeOf(shape)) {
        throw errors.invalidInput(
          `${what}: contents has ${data.length} elements but shape [${shape.join(",")}] needs ${sizeOf(shape)}`,
        );
      }
    }
    given.set(spec.name, { data, shape });
  });
  const outputs = req.outputs.length === 0 ? sig.outputs.map((_, i) => i) : [];
  const classCount = new Map<number, number>();
  for (const [i, o] of req.outputs.entries()) {
    const idx = sig.outputs.findIndex((s) => s.name === o.name);
    if (idx === -1) {
      throw errors.invalidInput(
        `outputs[${i}]: unknown output '${o.name}'; the model gives ${sig.outputs.map((s) => `'${s.name}'`).join(", ")}`,
      );
    }
    if (outputs.includes(idx)) throw errors.invalidInput(`output '${o.name}' is asked for twice`);
    if (o.parameters !== undefined && Object.hasOwn(o.parameters, "classification")) {
      // InferParameter: tritonclient sets int64_param (a number here: the loader's longs are Numbers).
      const p = o.parameters.classification as { int64_param?: unknown } | null;
      classCount.set(idx, classCountFor(classifiable, idx, o.name, p?.int64_param));
    }
    outputs.push(idx);
  }
  const prepared = finish(sig, inSignatureOrder(sig, given), limits);
  return {
    prepared: classCount.size > 0 ? { ...prepared, classCount } : prepared,
    id: req.id === "" ? undefined : req.id,
    outputs,
    binary: outputs.map(() => true),
  };
}

export function encodeModelInfer(
  outputs: readonly OutputTensor[],
  sig: Signature,
  req: V2Request,
  modelName: string,
  modelVersion: string,
): object {
  const picked = req.outputs.map((i) => ({ t: outputs[i] as OutputTensor, name: sig.outputs[i]?.name ?? "" }));
  return {
    model_name: modelName,
    model_version: modelVersion,
    id: req.id ?? "",
    outputs: picked.map(({ t, name }) => ({ name, datatype: v2Datatype(t.dtype), shape: t.shape })),
    raw_output_contents: picked.map(({ t }) => toRaw(t)),
  };
}
