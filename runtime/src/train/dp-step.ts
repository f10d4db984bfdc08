// The DP-SGD step (Abadi et al. 2016) of a dense stack: per-example gradients clipped to l2NormClip, summed, Gaussian
// noise of standard deviation noiseMultiplier × l2NormClip added, divided by the expected batch size, then the
// optimizer's update — what Opacus' DPOptimizer does. No per-example gradient is materialised: a dense layer's
// per-example kernel gradient is the outer product aᵢ ⊗ δᵢ (input row, back-propagated error row), so its squared norm
// is ‖aᵢ‖²·‖δᵢ‖², and its bias gradient's is ‖δᵢ‖² (Goodfellow 2015, "Efficient per-example gradient computations").
// Scaling δᵢ by the example's clip factor before the usual aᵀδ product gives the sum of clipped gradients in one
// matrix product per layer. The backward pass runs once unclipped (the δ of every layer), the norms and factors
// follow, then the products. Noise and Poisson samples come from dp-random.ts (secret, resumable).
import * as tf from "@tensorflow/tfjs";
import type { DpRandom } from "./dp-random.js";
import type { NativeOps } from "./native-ops.js";
import {
  activationGradient,
  type DenseOp,
  denseForward,
  headGradient,
  type Objective,
  type Saved,
  type Step,
} from "./step.js";

export interface DpStepOptions {
  l2NormClip: number;
  noiseMultiplier: number;
  /** The divisor of the noisy sum: q·N under Poisson sampling, the batch size under shuffling. */
  expectedBatch: number;
  random: DpRandom;
}

type Dense = Extract<DenseOp, { kind: "dense" }>;
type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * The sum of the per-example gradients of the batch's loss, each clipped to `clip`, divided by `expectedBatch`, in
 * the variables' order (kernel, bias per dense op), and each example's gradient norm before clipping. `dLogits` is
 * the gradient of the batch's *mean* loss (headGradient), so an example's own gradient is n times its row.
 */
export function clippedGradients(
  ops: DenseOp[],
  saved: Saved[],
  dLogits: tf.Tensor2D,
  n: number,
  clip: number,
  expectedBatch: number,
  native?: NativeOps,
): { grads: NamedTensor[]; norms: tf.Tensor1D } {
  const layers: { op: Dense; input: tf.Tensor2D; delta: tf.Tensor2D }[] = [];
  let g = dLogits;
  const firstDense = ops.findIndex((o) => o.kind === "dense");
  for (let i = ops.length - 1; i >= firstDense; i--) {
    const op = ops[i] as DenseOp;
    const s = saved[i] as Saved;
    if (op.kind === "dropout") {
      g = tf.mul(g, s.mask as tf.Tensor2D);
      continue;
    }
    const delta = activationGradient(g, s.output, op.activation, native);
    layers.unshift({ op, input: s.input, delta });
    if (i > firstDense) g = tf.matMul(delta, op.kernel, false, true);
  }
  // ‖gᵢ‖² = n² Σ_layers (‖aᵢ‖² + 1)·‖δᵢ‖²  (the 1 is the bias, whose per-example gradient is δᵢ itself).
  let sq: tf.Tensor1D | undefined;
  for (const l of layers) {
    const term = tf.mul(tf.add(tf.sum(tf.square(l.input), 1), 1), tf.sum(tf.square(l.delta), 1)) as tf.Tensor1D;
    sq = sq ? (tf.add(sq, term) as tf.Tensor1D) : term;
  }
  const norms = tf.mul(tf.sqrt(sq as tf.Tensor1D), n) as tf.Tensor1D;
  // Factor of row i: min(1, C/‖gᵢ‖) · n / expectedBatch (n undoes the mean; 1e-6 guards a zero gradient, as Opacus).
  const factor = tf.mul(tf.minimum(1, tf.div(clip, tf.add(norms, 1e-6))), n / expectedBatch).reshape([n, 1]);
  const grads: NamedTensor[] = [];
  for (const l of layers) {
    const scaled = tf.mul(l.delta, factor) as tf.Tensor2D;
    grads.push({ name: l.op.kernel.name, tensor: tf.matMul(l.input, scaled, true, false) });
    grads.push({ name: l.op.bias.name, tensor: tf.sum(scaled, 0) });
  }
  return { grads, norms };
}

/** The variables in clippedGradients' order. */
function variables(ops: DenseOp[]): tf.Variable[] {
  return ops.flatMap((o) => (o.kind === "dense" ? [o.kernel, o.bias] : []));
}

/**
 * The DP-SGD step: clipped sum (clippedGradients) plus noise N(0, (σC/B)²) on every parameter, applied by the
 * optimizer. An empty batch (Poisson sampling can draw one) still takes its step: noise only, loss 0.
 */
export function makeDpStep(
  ops: DenseOp[],
  objective: Objective,
  optimizer: tf.Optimizer,
  width: number,
  dp: DpStepOptions,
  native?: NativeOps,
): Step {
  const vars = variables(ops);
  const std = (dp.noiseMultiplier * dp.l2NormClip) / dp.expectedBatch;
  return (xs, ys, n) => {
    // Drawn before the tidy, in the variables' order: the stream's position depends only on the step count.
    const noise = vars.map((v) => dp.random.gaussian(v.size, std));
    return tf.tidy(() => {
      let grads: NamedTensor[];
      let loss: tf.Scalar | number = 0;
      if (n === 0) grads = vars.map((v) => ({ name: v.name, tensor: tf.zerosLike(v) }));
      else {
        const { logits, saved } = denseForward(ops, tf.tensor2d(xs.subarray(0, n * width), [n, width]));
        const head = headGradient(objective, logits, ys.subarray(0, n), n, native);
        loss = head.loss;
        grads = clippedGradients(ops, saved, head.dLogits, n, dp.l2NormClip, dp.expectedBatch, native).grads;
      }
      optimizer.applyGradients(
        grads.map((g, i) => ({
          name: g.name,
          tensor: tf.add(g.tensor, tf.tensor(noise[i] as Float32Array, g.tensor.shape)),
        })),
      );
      return loss;
    });
  };
}
