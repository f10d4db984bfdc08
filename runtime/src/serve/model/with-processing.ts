/**
 * A model with declared pre- and postprocessing (spec.model.preprocessing / postprocessing) as one LoadedModel:
 * clients see a BYTES input (one encoded file per row) where the model has the inputs the preprocessor produces, and
 * a BYTES `score:index:label` output of shape [rows, k] where the model has its scores. ModelHost preprocesses each
 * request on its own before batching (a bad file is that request's 400, never its batch's), batches the model's real
 * inputs, and postprocesses each request's share of the outputs, so batching keeps working.
 */
import type { TopK } from "../../contract/processing.js";
import { ConfigError, errors } from "../../errors.js";
import { parseLabels, topK } from "../postprocess/top-k.js";
import type { Preprocessor } from "../preprocess/preprocessor.js";
import type { BytesData, LoadedModel, OutputTensor, Signature, Tensor, TensorSpec } from "./loaded-model.js";

export interface ProcessedModel extends LoadedModel {
  readonly inner: LoadedModel;
  /** Per request, before batching: the client's inputs → the model's inputs (bad files throw a 400). */
  preprocess(inputs: readonly Tensor[]): Promise<Tensor[]>;
  /**
   * Per request, after batching: the model's outputs → the outputs clients see. `classCount` maps a signature output
   * index to a V2 class_count asked for it (only the top-k output takes one: `classifiable`).
   */
  postprocess(outputs: readonly OutputTensor[], classCount?: ReadonlyMap<number, number>): OutputTensor[];
  /** The output index that answers V2 class_count (the top-k output, when it has labels); undefined: refused. */
  readonly classifiable: number | undefined;
}

export function isProcessed(model: LoadedModel): model is ProcessedModel {
  return "inner" in model && "preprocess" in model;
}

/** The output index that answers V2 class_count, for the codecs; undefined: the model refuses it. */
export function classifiableOutput(model: LoadedModel): number | undefined {
  return isProcessed(model) ? model.classifiable : undefined;
}

/** What the wrapper applies: a preprocessor, and top-k with its labels already read and checked. */
export interface Processing {
  pre?: Preprocessor;
  topK?: Omit<TopK, "labels"> & { labels?: Uint8Array };
}

function indexOf(specs: readonly TensorSpec[], name: string | undefined, what: string): number {
  if (name === undefined) {
    if (specs.length === 1) return 0;
    throw new ConfigError(`${what} must name one of ${specs.map((s) => `'${s.name}'`).join(", ")}`);
  }
  const i = specs.findIndex((s) => s.name === name);
  if (i === -1) throw new ConfigError(`${what} '${name}' is not one of ${specs.map((s) => `'${s.name}'`).join(", ")}`);
  return i;
}

export function withProcessing(inner: LoadedModel, p: Processing): LoadedModel {
  if (p.pre === undefined && p.topK === undefined) return inner;
  const sig = inner.signature;
  const pre = p.pre;
  // Client inputs: the BYTES input where the first produced input was, the model's other inputs as they are.
  const producedAt = pre?.produces.map((n) => indexOf(sig.inputs, n, "preprocessing input")) ?? [];
  const first = Math.min(...producedAt);
  const inputs: TensorSpec[] = [];
  /** Per model input: the client input it comes from, or -1 for a produced one. */
  const from: number[] = [];
  sig.inputs.forEach((s, i) => {
    if (pre !== undefined && i === first) inputs.push(pre.input as TensorSpec);
    if (producedAt.includes(i)) from.push(-1);
    else {
      from.push(inputs.length);
      inputs.push(s);
    }
  });
  const bytesAt = pre === undefined ? -1 : inputs.indexOf(pre.input as TensorSpec);

  const tk = p.topK;
  const outAt = tk === undefined ? -1 : indexOf(sig.outputs, tk.output, "postprocessing.topK.output");
  const labels = tk?.labels === undefined ? undefined : parseLabels(tk.labels);
  if (tk !== undefined && (!Number.isInteger(tk.k) || tk.k < 1))
    throw new ConfigError(`postprocessing.topK.k must be a positive integer`);
  if (tk !== undefined && (sig.outputs[outAt] as TensorSpec).dtype !== "float32") {
    throw new ConfigError(
      `postprocessing.topK.output '${(sig.outputs[outAt] as TensorSpec).name}' is ${(sig.outputs[outAt] as TensorSpec).dtype}; top-k takes float32 scores`,
    );
  }
  const classes = (sig.outputs[outAt]?.shape.slice(1) ?? []).reduce((a, b) => a * b, 1);
  if (labels !== undefined && classes > 0 && labels.length !== classes) {
    throw new ConfigError(
      `postprocessing.topK.labels has ${labels.length} lines but output '${sig.outputs[outAt]?.name}' has ${classes} classes`,
    );
  }
  const outputs = sig.outputs.map((s, i) =>
    i === outAt ? { name: s.name, dtype: "bytes" as const, shape: [s.shape[0] ?? -1, tk?.k ?? 1] } : s,
  );
  const signature: Signature = { inputs, outputs, batched: sig.batched };

  const preprocess = async (given: readonly Tensor[]): Promise<Tensor[]> => {
    if (pre === undefined) return [...given];
    const items = (given[bytesAt] as Tensor).data;
    if (!Array.isArray(items)) throw errors.invalidInput(`input '${pre.input.name}' must be BYTES: one file per row`);
    const made = await pre.run(items as BytesData);
    return sig.inputs.map((_, i) => {
      const k = from[i] as number;
      return k === -1 ? (made[pre.produces.indexOf(sig.inputs[i]?.name as string)] as Tensor) : (given[k] as Tensor);
    });
  };
  const postprocess = (raw: readonly OutputTensor[], classCount?: ReadonlyMap<number, number>): OutputTensor[] =>
    raw.map((t, i) => {
      if (i !== outAt || tk === undefined) return t;
      const k = classCount?.get(i) ?? tk.k;
      return topK(t, {
        k,
        softmax: tk.softmax ?? false,
        output: sig.outputs[i]?.name ?? "",
        ...(labels ? { labels } : {}),
      });
    });
  const model: ProcessedModel = {
    format: inner.format,
    signature,
    plainJsRows: 0,
    inner,
    preprocess,
    postprocess,
    classifiable: labels !== undefined ? outAt : undefined,
    async run(given) {
      return postprocess(await inner.run(await preprocess(given)));
    },
    dispose: () => inner.dispose(),
  };
  return model;
}
