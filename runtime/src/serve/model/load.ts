/**
 * Builds a LoadedModel from fetched bytes on the active TF.js backend: a
 * LayersModel (with the fused Dense fast path and, for small stacks, the
 * plain-JS kernel where it is faster) or a GraphModel.
 */
import type * as TF from "@tensorflow/tfjs";
import type { FetchedArtifact } from "../../artifact.js";
import { ConfigError } from "../../errors.js";
import { tf } from "../../tfjs.js";
import { isBytes } from "../bytes-tensors.js";
import { denseForward } from "./dense-kernel.js";
import { agree, denseKernel, denseStack } from "./dense-stack.js";
import type { DType, LoadedModel, OutputTensor, Tensor, TensorSpec, TypedData } from "./loaded-model.js";
import { plainJsRows } from "./plain-js-rows.js";
import { isGraphModel, layersNames, toModelArtifacts } from "./tf-artifacts.js";

/** TF.js dtypes → the runtime's (TF.js has no float16; its string tensors hold byte strings, BYTES). */
const DTYPES: Readonly<Record<string, DType>> = { float32: "float32", int32: "int32", bool: "bool", string: "bytes" };

function toDType(dtype: string | undefined, what: string): DType {
  const d = dtype === undefined ? undefined : DTYPES[dtype];
  if (d !== undefined) return d;
  throw new ConfigError(
    `${what} has dtype ${dtype ?? "unknown"}, which the runtime does not serve (float32, int32, bool, string)`,
  );
}

function toShape(shape: readonly (number | null)[] | undefined, what: string): number[] {
  if (shape === undefined) throw new ConfigError(`${what} has an unknown rank, which the runtime does not serve`);
  return shape.map((d) => (d === null || d < 0 ? -1 : d));
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = seen.get(n) ?? 0;
    seen.set(n, k + 1);
    return k === 0 ? n : `${n}_${k}`;
  });
}

/** TF.js signatures only have float32, int32, bool and bytes (toDType); BYTES become a string tensor of the same bytes. */
function makeTensor(t: Tensor, spec: TensorSpec): TF.Tensor {
  if (isBytes(t.data)) return tf.tensor(t.data, t.shape, "string");
  return tf.tensor(
    t.data as Float32Array | Int32Array | Uint8Array,
    t.shape,
    spec.dtype as "float32" | "int32" | "bool",
  );
}

/** A string tensor's elements as bytes: dataSync would decode them as UTF-8 and throw on binary strings. */
function readData(t: TF.Tensor): TypedData {
  if (t.dtype === "string") return tf.engine().readSync(t.dataId) as Uint8Array[];
  return t.dataSync() as TypedData;
}

/**
 * Reads outputs synchronously: every backend served here computes on the
 * calling thread anyway, and dataSync skips a promise round per output.
 */
function readOutputs(tensors: TF.Tensor[], specs: readonly TensorSpec[]): OutputTensor[] {
  try {
    return tensors.map((t, i) => ({
      data: readData(t),
      shape: t.shape,
      dtype: toDType(t.dtype, `output ${specs[i]?.name ?? i}`),
    }));
  } finally {
    for (const t of tensors) t.dispose();
  }
}

export interface LoadOptions {
  /**
   * Rows up to which a Dense stack runs in plain JavaScript: undefined measures
   * where that is faster (the default); 0 turns it off (backend probes); a
   * number fixes it (tests). The ≤ 1e-5 equality check applies in every case.
   */
  plainJsRows?: number;
}

async function loadLayers(artifact: FetchedArtifact, opts: LoadOptions): Promise<LoadedModel> {
  const model = await tf.loadLayersModel(tf.io.fromMemory(toModelArtifacts(artifact)));
  const names = layersNames(artifact.modelJson.modelTopology);
  const inNames = names?.inputs.length === model.inputs.length ? names.inputs : model.inputs.map((t) => t.name);
  const outNames = names?.outputs.length === model.outputs.length ? names.outputs : model.outputs.map((t) => t.name);
  const inputs = model.inputs.map((t, i) => ({
    name: inNames[i] ?? t.name,
    dtype: toDType(t.dtype, `input ${inNames[i]}`),
    shape: toShape(t.shape, `input ${inNames[i]}`),
  }));
  const outputs = uniqueNames(outNames).map((name, i) => {
    const t = model.outputs[i] as TF.SymbolicTensor;
    return { name, dtype: toDType(t.dtype, `output ${name}`), shape: toShape(t.shape, `output ${name}`) };
  });
  const outKeys = model.outputs.map((t) => t.name);
  const execute = (x: TF.Tensor | TF.Tensor[]) => model.execute(x, outKeys) as TF.Tensor[];
  const stack = denseStack(model);
  const fast =
    stack !== undefined && agree(stack, (x) => execute(x)[0] as TF.Tensor, inputs[0]?.shape[1] as number)
      ? stack
      : undefined;
  const viaTf = (feed: readonly Tensor[]): OutputTensor[] => {
    const out = tf.tidy(() => {
      const xs = feed.map((t, i) => makeTensor(t, inputs[i] as TensorSpec));
      if (fast !== undefined) return [fast(xs[0] as TF.Tensor)];
      // execute() runs the graph once; predict() would also slice the input into
      // 32-row chunks and concatenate them back, which costs more than a tiny model.
      return execute(xs.length === 1 ? (xs[0] as TF.Tensor) : xs);
    });
    return readOutputs(out, outputs);
  };
  const js = fast !== undefined && opts.plainJsRows !== 0 ? denseKernel(model) : undefined;
  const width = inputs[0]?.shape[1] as number;
  const jsRows = js === undefined ? 0 : plainJsRows(js, viaTf, width, opts.plainJsRows);
  const units = js?.[js.length - 1]?.units as number;
  return {
    format: "layers",
    signature: { inputs, outputs, batched: inputs.every((s) => s.shape[0] === -1) },
    plainJsRows: jsRows,
    async run(feed) {
      const x = feed[0] as Tensor;
      const rows = x.shape[0] as number;
      if (rows <= jsRows && js !== undefined && x.data instanceof Float32Array) {
        return [{ data: denseForward(js, x.data, rows), shape: [rows, units], dtype: "float32" }];
      }
      return viaTf(feed);
    },
    dispose: () => model.dispose(),
  };
}

async function loadGraph(artifact: FetchedArtifact): Promise<LoadedModel> {
  const model = await tf.loadGraphModel(tf.io.fromMemory(toModelArtifacts(artifact)));
  // Graph tensor names end in ":0"; clients see them without it.
  const display = (n: string) => n.replace(/:0$/, "");
  const inputs = model.inputs.map((t) => ({
    name: display(t.name),
    dtype: toDType(t.dtype, `input ${t.name}`),
    shape: toShape(t.shape, `input ${t.name}`),
  }));
  const outputs = model.outputs.map((t) => ({
    name: display(t.name),
    // Graphs without a signature do not declare output dtypes; float32 is what they nearly always are.
    dtype: t.dtype === undefined ? ("float32" as const) : toDType(t.dtype, `output ${t.name}`),
    // Converted graphs often lack output shapes; they are reported as rank-1 unknown.
    shape: t.shape === undefined ? [-1] : toShape(t.shape, `output ${t.name}`),
  }));
  const inKeys = model.inputs.map((t) => t.name);
  const outKeys = model.outputs.map((t) => t.name);
  // Graphs with control flow need executeAsync; found out once, at warm-up.
  let useAsync = false;
  return {
    format: "graph",
    signature: { inputs, outputs, batched: inputs.every((s) => s.shape[0] === -1) },
    plainJsRows: 0,
    async run(feed) {
      const xs: TF.NamedTensorMap = {};
      feed.forEach((t, i) => {
        xs[inKeys[i] as string] = makeTensor(t, inputs[i] as TensorSpec);
      });
      try {
        let y: TF.Tensor | TF.Tensor[];
        if (!useAsync) {
          try {
            y = model.execute(xs, outKeys);
          } catch (err) {
            if (!/executeAsync/.test((err as Error).message)) throw err;
            useAsync = true;
            y = await model.executeAsync(xs, outKeys);
          }
        } else {
          y = await model.executeAsync(xs, outKeys);
        }
        return readOutputs(Array.isArray(y) ? y : [y], outputs);
      } finally {
        for (const t of Object.values(xs)) t.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}

/** Builds the model on the active backend from fetched bytes. */
export async function loadModel(artifact: FetchedArtifact, opts: LoadOptions = {}): Promise<LoadedModel> {
  try {
    return isGraphModel(artifact.modelJson) ? await loadGraph(artifact) : await loadLayers(artifact, opts);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`model cannot be loaded: ${(err as Error).message.split("\n")[0]}`);
  }
}
