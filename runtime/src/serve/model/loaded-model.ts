/**
 * A loaded TensorFlow.js model behind one small interface: its signature and
 * `run`, which takes plain typed arrays (already validated and batched) and
 * returns plain typed arrays, so nothing above this file touches tensors.
 */
import * as tf from "@tensorflow/tfjs";
import type { FetchedArtifact } from "../../artifact.js";
import { ConfigError } from "../../errors.js";
import { DENSE_ACTIVATIONS, type DenseActivation, type DenseLayer, denseForward, fasterUpTo } from "./dense-kernel.js";

export type DType = "float32" | "int32" | "bool";
export type TypedData = Float32Array | Int32Array | Uint8Array;

export interface TensorSpec {
  name: string;
  dtype: DType;
  /** -1 marks an unknown dimension; dimension 0 is the batch when `batched`. */
  shape: number[];
}

export interface Signature {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** Every input has an unknown first dimension, so requests can be concatenated. */
  batched: boolean;
}

export interface Tensor {
  data: TypedData;
  shape: number[];
}

export interface OutputTensor extends Tensor {
  dtype: DType;
}

export interface LoadedModel {
  format: "layers" | "graph";
  signature: Signature;
  /** Inputs in signature order; outputs in signature order. */
  run(inputs: readonly Tensor[]): Promise<OutputTensor[]>;
  /** Calls of up to this many rows run in plain JavaScript (dense-kernel.ts); 0: never. */
  plainJsRows: number;
  dispose(): void;
}

const DTYPES = new Set<string>(["float32", "int32", "bool"]);

function toDType(dtype: string | undefined, what: string): DType {
  if (dtype !== undefined && DTYPES.has(dtype)) return dtype as DType;
  throw new ConfigError(
    `${what} has dtype ${dtype ?? "unknown"}, which the runtime does not serve (float32, int32, bool)`,
  );
}

function toShape(shape: readonly (number | null)[] | undefined, what: string): number[] {
  if (shape === undefined) throw new ConfigError(`${what} has an unknown rank, which the runtime does not serve`);
  return shape.map((d) => (d === null || d < 0 ? -1 : d));
}

/** Packs weight files into the single buffer tf.io expects. */
function concatWeights(files: readonly Uint8Array[]): ArrayBuffer {
  const total = files.reduce((n, f) => n + f.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const f of files) {
    out.set(f, offset);
    offset += f.byteLength;
  }
  return out.buffer;
}

function toModelArtifacts(a: FetchedArtifact): tf.io.ModelArtifacts {
  const j = a.modelJson as Record<string, unknown> & { weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[] };
  return {
    modelTopology: j.modelTopology as tf.io.ModelArtifacts["modelTopology"],
    format: j.format as string | undefined,
    generatedBy: j.generatedBy as string | undefined,
    convertedBy: j.convertedBy as string | null | undefined,
    signature: j.signature as object | undefined,
    userDefinedMetadata: j.userDefinedMetadata as Record<string, object> | undefined,
    modelInitializer: j.modelInitializer as object | undefined,
    initializerSignature: j.initializerSignature as object | undefined,
    trainingConfig: j.trainingConfig as tf.io.TrainingConfig | undefined,
    weightSpecs: (j.weightsManifest ?? []).flatMap((g) => g.weights),
    weightData: concatWeights(a.weightFiles),
  };
}

export function isGraphModel(modelJson: Record<string, unknown>): boolean {
  if (modelJson.format === "graph-model") return true;
  if (modelJson.format === "layers-model") return false;
  const topo = modelJson.modelTopology as Record<string, unknown> | undefined;
  return Array.isArray(topo?.node);
}

interface LayerConf {
  class_name?: string;
  config?: { name?: string; layers?: LayerConf[] } & Record<string, unknown>;
}

/**
 * Input/output names as authored (Keras conventions), read from the topology:
 * tfjs renames tensors on every load (`dense_input_1`), which clients must not see.
 */
export function layersNames(topology: unknown): { inputs: string[]; outputs: string[] } | undefined {
  const root = ((topology as { model_config?: LayerConf })?.model_config ?? topology) as LayerConf | undefined;
  const cfg = root?.config as
    | (LayerConf["config"] & { input_layers?: unknown[][]; output_layers?: unknown[][] })
    | undefined;
  if (root?.class_name === "Sequential") {
    const layers = cfg?.layers ?? [];
    const first = layers[0]?.config?.name;
    const last = layers[layers.length - 1]?.config?.name;
    if (first === undefined || last === undefined) return undefined;
    return { inputs: [layers[0]?.class_name === "InputLayer" ? first : `${first}_input`], outputs: [last] };
  }
  if (Array.isArray(cfg?.input_layers) && Array.isArray(cfg?.output_layers)) {
    return {
      inputs: cfg.input_layers.map((l) => String(l[0])),
      outputs: cfg.output_layers.map((l) => String(l[0])),
    };
  }
  return undefined;
}

function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((n) => {
    const k = seen.get(n) ?? 0;
    seen.set(n, k + 1);
    return k === 0 ? n : `${n}_${k}`;
  });
}

function makeTensor(t: Tensor, spec: TensorSpec): tf.Tensor {
  return tf.tensor(t.data, t.shape, spec.dtype);
}

/**
 * Reads outputs synchronously: every backend served here computes on the
 * calling thread anyway, and dataSync skips a promise round per output.
 */
function readOutputs(tensors: tf.Tensor[], specs: readonly TensorSpec[]): OutputTensor[] {
  try {
    return tensors.map((t, i) => ({
      data: t.dataSync() as TypedData,
      shape: t.shape,
      dtype: toDType(t.dtype, `output ${specs[i]?.name ?? i}`),
    }));
  } finally {
    for (const t of tensors) t.dispose();
  }
}

const FUSED = new Set(["linear", "relu", "relu6", "elu", "sigmoid"]);
const AFTER: Record<string, (x: tf.Tensor2D) => tf.Tensor2D> = {
  softmax: (x) => tf.softmax(x),
  tanh: (x) => tf.tanh(x),
};

interface DenseWeights {
  kernel: tf.Tensor2D;
  bias: tf.Tensor1D | undefined;
  activation: DenseActivation;
}

/** The Dense layers of a Dense/Dropout stack (Dropout is the identity at inference); undefined for anything else. */
function denseWeights(model: tf.LayersModel): DenseWeights[] | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || model.inputs[0]?.shape.length !== 2) return undefined;
  const out: DenseWeights[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === "InputLayer" || cls === "Dropout") continue;
    if (cls !== "Dense") return undefined;
    const { activation, useBias } = layer.getConfig() as { activation?: string; useBias?: boolean };
    const act = activation ?? "linear";
    if (!DENSE_ACTIVATIONS.has(act)) return undefined;
    const [kernel, bias] = layer.getWeights() as [tf.Tensor2D, tf.Tensor1D | undefined];
    out.push({ kernel, bias: useBias === false ? undefined : bias, activation: act as DenseActivation });
  }
  return out.length === 0 ? undefined : out;
}

/**
 * A stack of Dense layers computed as one fused matMul+bias+activation per
 * layer, skipping tfjs-layers' graph executor: that machinery costs more than a
 * small MLP's arithmetic, and on libtensorflow every op saved is tens of µs.
 * Liftoff's own trained models are such stacks. Undefined for anything else;
 * the caller also checks it agrees with execute().
 */
export function denseStack(model: tf.LayersModel): ((x: tf.Tensor) => tf.Tensor) | undefined {
  const layers = denseWeights(model);
  if (layers === undefined) return undefined;
  const steps = layers.map(({ kernel, bias, activation }) => {
    const after = AFTER[activation];
    const fusedAct = (FUSED.has(activation) ? activation : "linear") as tf.fused.Activation;
    return (x: tf.Tensor2D) => {
      const y = tf.fused.matMul({ a: x, b: kernel, bias, activation: fusedAct }) as tf.Tensor2D;
      return after === undefined ? y : after(y);
    };
  });
  return (x) => steps.reduce((h, step) => step(h), x as tf.Tensor2D);
}

/** The same stack's weights as plain arrays for dense-kernel.ts; undefined for anything else. */
export function denseKernel(model: tf.LayersModel): DenseLayer[] | undefined {
  const layers = denseWeights(model);
  if (layers === undefined) return undefined;
  if (layers.reduce((n, l) => n + l.kernel.shape[0] * l.kernel.shape[1], 0) > PLAIN_JS_MAX_MACS) return undefined;
  return layers.map(({ kernel, bias, activation }) => ({
    kernel: kernel.dataSync() as Float32Array,
    bias: bias?.dataSync() as Float32Array | undefined,
    inputs: kernel.shape[0],
    units: kernel.shape[1],
    activation,
  }));
}

/** A fixed pseudo-random input of `rows` × `width`. */
function probeInput(rows: number, width: number): Float32Array {
  return Float32Array.from({ length: rows * width }, (_, i) => Math.sin(i * 12.9898) * 2);
}

/** True when `got` equals `want` within `tol` (relative beyond magnitude 1). */
function close(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): boolean {
  if (got.length !== want.length) return false;
  for (let i = 0; i < got.length; i++) {
    const w = want[i] as number;
    if (!(Math.abs((got[i] as number) - w) <= tol * Math.max(1, Math.abs(w)))) return false;
  }
  return true;
}

/** True when two forward functions agree on a fixed pseudo-random input. */
function agree(a: (x: tf.Tensor) => tf.Tensor, b: (x: tf.Tensor) => tf.Tensor, width: number): boolean {
  return tf.tidy(() => {
    const x = tf.tensor2d(probeInput(3, width), [3, width]);
    return close(a(x).dataSync(), b(x).dataSync(), 1e-4);
  });
}

/** Rows that stay with the plain-JS kernel at most (timing beyond this is not worth the load time). */
const PLAIN_JS_MAX_ROWS = 256;
/**
 * Beyond this many multiply-adds per row the kernel is not even tried: at about
 * 1 ns each here, one row would take longer than any backend's per-call overhead
 * (tens to hundreds of µs), and the check and timing would cost load time (≈ 0.5 s
 * for the 10 MB MLP of bench:runtime's cold start).
 */
const PLAIN_JS_MAX_MACS = 256 * 1024;

/**
 * Up to how many rows the plain-JS kernel is both equal (≤ 1e-5, on 1 and 7
 * rows) and faster than `viaTf` on this machine and backend; 0 when not.
 */
function plainJsRows(
  js: DenseLayer[],
  viaTf: (feed: readonly Tensor[]) => OutputTensor[],
  width: number,
  fixed: number | undefined,
): number {
  const tfOut = (rows: number) => viaTf([{ data: probeInput(rows, width), shape: [rows, width] }])[0]?.data ?? [];
  for (const rows of [1, 7]) {
    if (!close(denseForward(js, probeInput(rows, width), rows), tfOut(rows), 1e-5)) return 0;
  }
  if (fixed !== undefined) return fixed;
  const inputs = new Map<number, Float32Array>();
  const input = (rows: number) =>
    inputs.get(rows) ?? (inputs.set(rows, probeInput(rows, width)).get(rows) as Float32Array);
  return fasterUpTo(
    (rows) => denseForward(js, input(rows), rows),
    (rows) => viaTf([{ data: input(rows), shape: [rows, width] }]),
    PLAIN_JS_MAX_ROWS,
  );
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
    const t = model.outputs[i] as tf.SymbolicTensor;
    return { name, dtype: toDType(t.dtype, `output ${name}`), shape: toShape(t.shape, `output ${name}`) };
  });
  const outKeys = model.outputs.map((t) => t.name);
  const execute = (x: tf.Tensor | tf.Tensor[]) => model.execute(x, outKeys) as tf.Tensor[];
  const stack = denseStack(model);
  const fast =
    stack !== undefined && agree(stack, (x) => execute(x)[0] as tf.Tensor, inputs[0]?.shape[1] as number)
      ? stack
      : undefined;
  const viaTf = (feed: readonly Tensor[]): OutputTensor[] => {
    const out = tf.tidy(() => {
      const xs = feed.map((t, i) => makeTensor(t, inputs[i] as TensorSpec));
      if (fast !== undefined) return [fast(xs[0] as tf.Tensor)];
      // execute() runs the graph once; predict() would also slice the input into
      // 32-row chunks and concatenate them back, which costs more than a tiny model.
      return execute(xs.length === 1 ? (xs[0] as tf.Tensor) : xs);
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
      const xs: tf.NamedTensorMap = {};
      feed.forEach((t, i) => {
        xs[inKeys[i] as string] = makeTensor(t, inputs[i] as TensorSpec);
      });
      try {
        let y: tf.Tensor | tf.Tensor[];
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

/** Zeros with `rows` rows (other unknown dimensions as 1), for warm-up and probes. */
export function warmupInputs(signature: Signature, rows = 1): Tensor[] {
  return signature.inputs.map((s) => {
    const shape = s.shape.map((d, i) => (d !== -1 ? d : i === 0 ? rows : 1));
    const size = shape.reduce((a, b) => a * b, 1);
    const data =
      s.dtype === "float32"
        ? new Float32Array(size)
        : s.dtype === "int32"
          ? new Int32Array(size)
          : new Uint8Array(size);
    return { data, shape };
  });
}
