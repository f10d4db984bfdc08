// One optimizer step per batch, with as few TF.js kernels as possible: at small batches the engine's cost per
// kernel (10–20 µs, tfjs issue #628), not the arithmetic, is the step. A stack of dense (linear/relu/sigmoid/
// tanh) and dropout layers with a softmax-crossentropy, binary-crossentropy or mean-squared-error head is
// differentiated by hand — fused matMul+bias+activation forward, the textbook backward, no gradient tape: ~25
// kernels instead of ~110 for a two-layer MLP. Every other model (convolutions, batch normalization, frozen
// layers, other activations or losses) takes the general path, optimizer.minimize over the tidy'd forward + loss.
// Both return the batch's mean loss as a scalar left on the device; the caller reads it when it needs it.
import * as tf from "@tensorflow/tfjs";
import { ConfigError } from "../errors.js";
import { FusedAdam } from "./adam.js";
import { type DpStepOptions, makeDpStep } from "./dp-step.js";
import { HOST_STEP_MAX_MACS, type HostStep, hostParams, makeHostStep } from "./host-step.js";
import type { Head } from "./layers.js";
import { type NativeOps, nativeOps } from "./native-ops.js";
import type { LossFn } from "./objective.js";
import type { LossName } from "./spec.js";

type NamedTensor = { name: string; tensor: tf.Tensor };

/** The batch's mean loss: a scalar left on the device (tensor paths) or already a number (host step). */
export type Step = (x: Float32Array, y: Float32Array, n: number) => tf.Scalar | number;

type Activation = "linear" | "relu" | "sigmoid" | "tanh";
export type DenseOp =
  | { kind: "dense"; kernel: tf.Variable; bias: tf.Variable; activation: Activation }
  | { kind: "dropout"; rate: number };
export type Objective = "softmaxCrossentropy" | "sigmoidCrossentropy" | "meanSquaredError";

const ACTIVATIONS: readonly string[] = ["linear", "relu", "sigmoid", "tanh"];

/** The model as dense/dropout operations, or undefined when the hand-written backward does not cover it. */
export function densePlan(model: tf.LayersModel): DenseOp[] | undefined {
  const ops: DenseOp[] = [];
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as Record<string, unknown>;
    if (cls === "InputLayer") continue;
    if (!layer.trainable) return undefined;
    if (cls === "Dropout" && cfg.noiseShape == null) {
      ops.push({ kind: "dropout", rate: cfg.rate as number });
    } else if (cls === "Dense" && cfg.useBias === true && ACTIVATIONS.includes(cfg.activation as string)) {
      if (cfg.kernelRegularizer || cfg.biasRegularizer || cfg.activityRegularizer || cfg.kernelConstraint) {
        return undefined;
      }
      const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      if (kernel === undefined || bias === undefined) return undefined;
      ops.push({ kind: "dense", kernel, bias, activation: cfg.activation as Activation });
    } else return undefined;
  }
  const first = ops.find((o) => o.kind === "dense");
  return first ? ops : undefined;
}

/** Which hand-written head gradient fits (loss, head), if any. */
export function objectiveFor(loss: LossName, head: Head): Objective | undefined {
  if ((loss === "sparseCategoricalCrossentropy" || loss === "categoricalCrossentropy") && head.activation === "softmax")
    return "softmaxCrossentropy";
  if (loss === "binaryCrossentropy" && head.units === 1) return "sigmoidCrossentropy";
  if (loss === "meanSquaredError" && head.units === 1) return "meanSquaredError";
  return undefined;
}

/** Scalars the step uses every batch, created once per backend (a new tf.scalar is an upload each time). */
const scalars = new Map<string, tf.Scalar>();
function constant(value: number): tf.Scalar {
  const key = `${tf.getBackend()}:${value}`;
  let s = scalars.get(key);
  if (s === undefined) {
    s = tf.keep(tf.scalar(value));
    scalars.set(key, s);
  }
  return s;
}

export interface Saved {
  input: tf.Tensor2D;
  output: tf.Tensor2D;
  mask?: tf.Tensor2D;
}

/** Inverted dropout masks (kept units scaled by 1/(1−rate)) drawn from Math.random, which train seeds. */
export function dropoutMask(rows: number, cols: number, rate: number): tf.Tensor2D {
  const m = new Float32Array(rows * cols);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < m.length; i++) m[i] = Math.random() >= rate ? keep : 0;
  return tf.tensor2d(m, [rows, cols]);
}

/** Forward pass in training mode; `masks` supplies dropout masks (tests), else they are drawn. */
export function denseForward(ops: DenseOp[], x: tf.Tensor2D, masks?: tf.Tensor2D[]) {
  const saved: Saved[] = [];
  let a = x;
  let k = 0;
  for (const op of ops) {
    const input = a;
    if (op.kind === "dropout") {
      const mask = masks?.[k++] ?? dropoutMask(a.shape[0], a.shape[1], op.rate);
      a = tf.mul(a, mask);
      saved.push({ input, output: a, mask });
    } else {
      // matMul + add + activation rather than tf.fused.matMul: on the tensorflow backend the fused op is those
      // three kernels plus four reshapes to 3-D and back.
      const z = tf.add(tf.matMul(a, op.kernel), op.bias) as tf.Tensor2D;
      a =
        op.activation === "relu"
          ? tf.relu(z)
          : op.activation === "sigmoid"
            ? tf.sigmoid(z)
            : op.activation === "tanh"
              ? tf.tanh(z)
              : z;
      saved.push({ input, output: a });
    }
  }
  return { logits: a, saved };
}

/** d(loss)/d(logits) and the mean loss for a hand-written objective. */
export function headGradient(
  objective: Objective,
  logits: tf.Tensor2D,
  y: Float32Array,
  n: number,
  native?: NativeOps,
): { dLogits: tf.Tensor2D; loss: tf.Scalar } {
  const scale = constant(1 / n);
  if (objective === "softmaxCrossentropy") {
    const k = logits.shape[1];
    // One-hot built on the host: tf.oneHot is int32 and costs two casts more.
    const hot = new Float32Array(n * k);
    for (let r = 0; r < n; r++) hot[r * k + (y[r] as number)] = 1;
    const oneHot = tf.tensor2d(hot, [n, k]);
    if (native) {
      const { loss, grad } = native.softmaxCrossEntropy(logits, oneHot);
      return { dLogits: tf.mul(grad, scale) as tf.Tensor2D, loss: tf.mul(tf.sum(loss), scale) as tf.Scalar };
    }
    const p = tf.softmax(logits);
    const dLogits = tf.mul(tf.sub(p, oneHot), scale) as tf.Tensor2D;
    // −mean log p[y], with p kept above float32's smallest normal so a confidently wrong row is large, not ∞.
    const logP = tf.log(tf.maximum(p, constant(1.1754944e-38)));
    return { dLogits, loss: tf.mul(tf.sum(tf.mul(logP, oneHot)), constant(-1 / n)) as tf.Scalar };
  }
  const target = tf.tensor2d(y, [n, 1]);
  if (objective === "sigmoidCrossentropy") {
    const dLogits = tf.mul(tf.sub(tf.sigmoid(logits), target), scale) as tf.Tensor2D;
    return { dLogits, loss: tf.losses.sigmoidCrossEntropy(target, logits) as tf.Scalar };
  }
  const d = tf.sub(logits, target);
  return { dLogits: tf.mul(d, constant(2 / n)) as tf.Tensor2D, loss: tf.mean(tf.square(d)) as tf.Scalar };
}

export function activationGradient(g: tf.Tensor2D, out: tf.Tensor2D, activation: Activation, native?: NativeOps) {
  switch (activation) {
    case "linear":
      return g;
    case "relu":
      if (native) return native.reluGrad(g, out);
      return tf.mul(g, tf.sign(out)) as tf.Tensor2D; // out ≥ 0, so sign is the 0/1 mask (tf.step is five kernels here)
    case "sigmoid":
      return tf.mul(g, tf.mul(out, tf.sub(constant(1), out))) as tf.Tensor2D;
    case "tanh":
      return tf.mul(g, tf.sub(constant(1), tf.square(out))) as tf.Tensor2D;
  }
}

/** Gradients of every dense op's kernel and bias, in the ops' order, by backpropagation from dLogits. */
export function denseBackward(ops: DenseOp[], saved: Saved[], dLogits: tf.Tensor2D, native?: NativeOps): NamedTensor[] {
  const grads: NamedTensor[] = [];
  let g = dLogits;
  const firstDense = ops.findIndex((o) => o.kind === "dense");
  for (let i = ops.length - 1; i >= firstDense; i--) {
    const op = ops[i] as DenseOp;
    const s = saved[i] as Saved;
    if (op.kind === "dropout") {
      g = tf.mul(g, s.mask as tf.Tensor2D);
      continue;
    }
    const dz = activationGradient(g, s.output, op.activation, native);
    grads.push({ name: op.bias.name, tensor: tf.sum(dz, 0) });
    grads.push({ name: op.kernel.name, tensor: tf.matMul(s.input, dz, true, false) });
    if (i > firstDense) g = tf.matMul(dz, op.kernel, false, true);
  }
  return grads.reverse();
}

export interface StepOptions {
  model: tf.LayersModel;
  optimizer: tf.Optimizer;
  loss: LossFn;
  lossName: LossName;
  head: Head;
  width: number;
  /** A GPU backend keeps every step on libtensorflow. */
  gpu?: boolean;
  /** Rows per batch: with the parameter count, whether the host step pays (HOST_STEP_MAX_MACS). */
  batchSize?: number;
  /** The host step's limit on batch size × parameters (tests and bench:train-step lower it); HOST_STEP_MAX_MACS by default. */
  hostMaxMacs?: number;
  /** DP-SGD (hyperparameters.privacy): per-example clipping and noise, on the backend (dp-step.ts). */
  privacy?: DpStepOptions;
}

// Not instanceof: tf.Optimizer's Symbol.hasInstance answers true for any optimizer.
const isFusedAdam = (x: tf.Optimizer): x is FusedAdam => x.constructor === FusedAdam;

export type StepKind = "host" | "dense" | "general" | "dp";

/** What each kind is, for the log. */
export const STEP_KINDS: Record<StepKind, string> = {
  host: "dense stack with Adam, whole step on the host (host-step.ts)",
  dense: "dense stack, differentiated by hand (step.ts)",
  general: "optimizer.minimize",
  dp: "DP-SGD on the dense stack: per-example clipping and Gaussian noise (dp-step.ts)",
};

/**
 * The step for this model: on the host when it is a dense stack trained with Adam, on a CPU backend, with at most
 * batch size × parameters at most hostMaxMacs; else hand-differentiated on the backend when densePlan and objectiveFor cover it; else
 * general. `sync` (host step only) writes the host's weights and Adam state back before they are read; `evaluate`
 * (host step only) validates on the host's weights without a TF.js kernel.
 */
export function makeStep(o: StepOptions): {
  step: Step;
  kind: StepKind;
  sync?: () => void;
  evaluate?: HostStep["evaluate"];
  tensors?: HostStep["tensors"];
} {
  const ops = densePlan(o.model);
  const objective = objectiveFor(o.lossName, o.head);
  if (o.privacy) {
    // One DP route: the per-example norms need the hand-written backward, which covers every optimizer.
    if (!ops || !objective) {
      throw new ConfigError(
        "hyperparameters.privacy (DP-SGD) needs model.layers of dense (linear, relu, sigmoid or tanh) and dropout layers, all trained, and a crossentropy or meanSquaredError loss",
      );
    }
    return { kind: "dp", step: makeDpStep(ops, objective, o.optimizer, o.width, o.privacy, nativeOps()) };
  }
  if (
    ops &&
    objective &&
    !o.gpu &&
    isFusedAdam(o.optimizer) &&
    (o.batchSize ?? 1) * hostParams(ops) <= (o.hostMaxMacs ?? HOST_STEP_MAX_MACS)
  ) {
    const host = makeHostStep(ops, objective, o.optimizer, o.width);
    return { kind: "host", step: host.step, sync: host.sync, evaluate: host.evaluate, tensors: host.tensors };
  }
  if (ops && objective) {
    const native = nativeOps();
    return {
      kind: "dense",
      step: (xs, ys, n) =>
        tf.tidy(() => {
          const { logits, saved } = denseForward(ops, tf.tensor2d(xs, [n, o.width]));
          const { dLogits, loss } = headGradient(objective, logits, ys, n, native);
          o.optimizer.applyGradients(denseBackward(ops, saved, dLogits, native));
          return loss;
        }),
    };
  }
  const vars = o.model.trainableWeights.map((w) => w.read() as tf.Variable);
  return {
    kind: "general",
    step: (xs, ys, n) =>
      tf.tidy(() => {
        const x = tf.tensor2d(xs, [n, o.width]);
        const y = tf.tensor1d(ys);
        return o.optimizer.minimize(
          () => o.loss(y, o.model.apply(x, { training: true }) as tf.Tensor2D),
          true,
          vars,
        ) as tf.Scalar;
      }),
  };
}
