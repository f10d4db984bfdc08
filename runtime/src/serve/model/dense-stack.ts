/**
 * Dense/Dropout stacks read from a tfjs-layers model: as one fused TF.js op per
 * layer (denseStack) and as plain arrays for the plain-JS kernel (denseKernel).
 */
import type * as TF from "@tensorflow/tfjs";
import { tf } from "../../tfjs.js";
import { DENSE_ACTIVATIONS, type DenseActivation, type DenseLayer } from "./dense-kernel.js";
import { probeInput, withinTolerance } from "./equality-probe.js";

/**
 * Beyond this many multiply-adds per row the kernel is not even tried: at about
 * 1 ns each here, one row would take longer than any backend's per-call overhead
 * (tens to hundreds of µs), and the check and timing would cost load time (≈ 0.5 s
 * for the 10 MB MLP of bench:runtime's cold start).
 */
const PLAIN_JS_MAX_MACS = 256 * 1024;

const FUSED = new Set(["linear", "relu", "relu6", "elu", "sigmoid"]);
const AFTER: Record<string, (x: TF.Tensor2D) => TF.Tensor2D> = {
  softmax: (x) => tf.softmax(x),
  tanh: (x) => tf.tanh(x),
};

interface DenseWeights {
  kernel: TF.Tensor2D;
  bias: TF.Tensor1D | undefined;
  activation: DenseActivation;
}

/** The Dense layers of a Dense/Dropout stack (Dropout is the identity at inference); undefined for anything else. */
function denseWeights(model: TF.LayersModel): DenseWeights[] | undefined {
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || model.inputs[0]?.shape.length !== 2) return undefined;
  const out: DenseWeights[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === "InputLayer" || cls === "Dropout") continue;
    if (cls !== "Dense") return undefined;
    const { activation, useBias } = layer.getConfig() as { activation?: string; useBias?: boolean };
    const act = activation ?? "linear";
    if (!DENSE_ACTIVATIONS.has(act)) return undefined;
    const [kernel, bias] = layer.getWeights() as [TF.Tensor2D, TF.Tensor1D | undefined];
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
export function denseStack(model: TF.LayersModel): ((x: TF.Tensor) => TF.Tensor) | undefined {
  const layers = denseWeights(model);
  if (layers === undefined) return undefined;
  const steps = layers.map(({ kernel, bias, activation }) => {
    const after = AFTER[activation];
    const fusedAct = (FUSED.has(activation) ? activation : "linear") as TF.fused.Activation;
    return (x: TF.Tensor2D) => {
      const y = tf.fused.matMul({ a: x, b: kernel, ...(bias ? { bias } : {}), activation: fusedAct }) as TF.Tensor2D;
      return after === undefined ? y : after(y);
    };
  });
  return (x) => steps.reduce((h, step) => step(h), x as TF.Tensor2D);
}

/** The same stack's weights as plain arrays for dense-kernel.ts; undefined for anything else. */
export function denseKernel(model: TF.LayersModel): DenseLayer[] | undefined {
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

/** True when two forward functions agree on a fixed pseudo-random input. */
export function agree(a: (x: TF.Tensor) => TF.Tensor, b: (x: TF.Tensor) => TF.Tensor, width: number): boolean {
  return tf.tidy(() => {
    const x = tf.tensor2d(probeInput(3, width), [3, width]);
    return withinTolerance(a(x).dataSync(), b(x).dataSync(), 1e-4);
  });
}
