/**
 * Raw records by column name, for models trained by `train` (their artifact carries the DataSet's
 * preprocessing.json): V1 `{"instances": [{"island": "Biscoe", …}]}` and V2 inputs named after the columns are
 * turned into the model's feature tensor with exactly prepare's fill/scale/encode (contract/preprocess.ts), so
 * there is no training/serving skew. Tensor requests are left alone. Classification answers to raw requests also
 * carry the class label (V1 `labels`, V2 output `label`), as the DataSet named the classes.
 */
import type { PreprocessingJson } from "../contract/artifacts.js";
import { compilePreprocessing, RecordError, type RecordTransform } from "../contract/preprocess.js";
import { errors } from "../errors.js";
import type { OutputTensor, Signature } from "./model/loaded-model.js";
import { isPlainObject } from "./validate.js";

export interface RawRecords {
  transform: RecordTransform;
  classes?: readonly string[];
}

/** A raw-record request: the body rewritten to feature tensors, and the records as sent (drift bins them). */
export interface RawRequest {
  body: unknown;
  records: Record<string, unknown>[];
}

/** Undefined unless the model's single input takes exactly the preprocessing's features. */
export function rawRecordsFor(pre: PreprocessingJson | undefined, sig: Signature): RawRecords | undefined {
  if (pre === undefined) return undefined;
  const transform = compilePreprocessing(pre);
  const input = sig.inputs[0];
  if (sig.inputs.length !== 1 || input?.shape.length !== 2 || input.shape[1] !== transform.width) return undefined;
  return { transform, ...(pre.target.classes ? { classes: pre.target.classes } : {}) };
}

function features(raw: RawRecords, records: Record<string, unknown>[]): number[] {
  try {
    return Array.from(raw.transform.batch(records));
  } catch (err) {
    if (err instanceof RecordError) throw errors.invalidInput(err.message);
    throw err;
  }
}

/** A V1 body of column-keyed instances → the same body with feature rows; undefined for a tensor request. */
export function rawV1(body: unknown, raw: RawRecords, sig: Signature): RawRequest | undefined {
  if (!isPlainObject(body) || !Array.isArray(body.instances)) return undefined;
  const first = body.instances[0];
  if (!isPlainObject(first) || Object.keys(first).some((k) => sig.inputs.some((s) => s.name === k))) return undefined;
  const records = body.instances as Record<string, unknown>[];
  const flat = features(raw, records);
  const w = raw.transform.width;
  const instances = body.instances.map((_, i) => flat.slice(i * w, (i + 1) * w));
  return { body: { ...body, instances }, records };
}

/** A V2 body whose inputs are named after columns → one FP32 feature tensor; undefined for a tensor request. */
export function rawV2(body: unknown, raw: RawRecords, sig: Signature): RawRequest | undefined {
  if (!isPlainObject(body) || !Array.isArray(body.inputs) || body.inputs.length === 0) return undefined;
  const items = body.inputs as unknown[];
  if (!items.every((i) => isPlainObject(i) && typeof i.name === "string")) return undefined;
  const named = items as { name: string; shape?: unknown; data?: unknown }[];
  if (named.some((i) => sig.inputs.some((s) => s.name === i.name))) return undefined;
  const rows = new Set(named.map((i) => (Array.isArray(i.data) ? i.data.length : -1)));
  const [n] = rows;
  if (rows.size !== 1 || n === undefined || n < 1) {
    throw errors.invalidInput("every column input needs a flat 'data' array with one value per row, all of one length");
  }
  const records = Array.from({ length: n }, (_, r) =>
    Object.fromEntries(named.map((i) => [i.name, (i.data as unknown[])[r]])),
  );
  const input = sig.inputs[0];
  return {
    body: {
      ...body,
      inputs: [{ name: input?.name, shape: [n, raw.transform.width], datatype: "FP32", data: features(raw, records) }],
    },
    records,
  };
}

/** The class label of each row of a classification model's first output. */
export function labelsOf(outputs: readonly OutputTensor[], classes: readonly string[]): string[] {
  const out = outputs[0];
  if (!out) return [];
  const k = out.shape[out.shape.length - 1] ?? 1;
  const p = out.data as ArrayLike<number>;
  const rows = Math.floor(p.length / k);
  return Array.from({ length: rows }, (_, i) => {
    if (k === 1) return classes[(p[i] as number) >= 0.5 ? 1 : 0] ?? "";
    let best = 0;
    for (let c = 1; c < k; c++) if ((p[i * k + c] as number) > (p[i * k + best] as number)) best = c;
    return classes[best] ?? "";
  });
}
