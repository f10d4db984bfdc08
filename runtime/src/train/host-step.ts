// The whole train step of a small dense stack on the host: forward, the hand-written backward of step.ts, the
// head's gradient and Adam, in one JavaScript call with no TF.js kernel; the matrix products and Adam in
// WebAssembly SIMD (host-wasm.ts), the element-wise rest in JavaScript over the same memory. At the bench's
// sizes (MLP 64-64, batch 32–256) the arithmetic is well under a millisecond while the libtensorflow step is ~47
// eager dispatches of 6–11 µs each (docs/performance.md "## Training"), so below HOST_STEP_MAX_MACS on a CPU
// backend this is the step. Weights and Adam's moments live here between steps; sync() writes them back into the
// model's variables and FusedAdam (before validation, a checkpoint and at the end), and the step starts from
// whatever those hold, so checkpoints keep their format and a resumed run continues bit for bit. Dropout masks are
// drawn from Math.random in the order dropoutMask draws them; the arithmetic is float32 in a fixed order, so a
// seed gives the same weights every run.
import * as tf from "@tensorflow/tfjs";
import type { FusedAdam } from "./adam.js";
import type { HostTensors } from "./checkpoint.js";
import { hostWasm } from "./host-wasm.js";
import type { DenseOp, Objective } from "./step.js";

/**
 * The host step is taken while batch size × parameters (the forward pass's multiply-adds) is at most this. Measured
 * with bench:train-step (docs/performance.md "## Training"): at 9.6 M (hidden 512-512, batch 32) the host step was
 * 2.4× faster than libtensorflow's, at 22 M (hidden 256-256, batch 256) 1.2× slower — above that libtensorflow's
 * matrix products outrun the dispatches they cost.
 */
export const HOST_STEP_MAX_MACS = 16 << 20;

type Activation = "linear" | "relu" | "sigmoid" | "tanh";

/** A stage's output: `cols` floats per row in memory (a multiple of 4 after a dense layer), the first `real` used. */
interface Dense {
  kind: "dense";
  inputs: number;
  realInputs: number;
  cols: number;
  real: number;
  activation: Activation;
  kernel: tf.Variable;
  bias: tf.Variable;
  /** Offsets (floats) of kernel then bias: in the padded parameter vector, and in FusedAdam's packed one. */
  at: number;
  packedAt: number;
}
interface Dropout {
  kind: "dropout";
  cols: number;
  real: number;
  rate: number;
}
type Stage = Dense | Dropout;

export interface HostStep {
  step(x: Float32Array, y: Float32Array, n: number): number;
  /** Writes weights and Adam's state into the model's variables and the optimizer, if a step ran since. */
  sync(): void;
  /** The weights and Adam state for a checkpoint, without writing them back. */
  tensors(): HostTensors;
  /** Validation on the host weights, no dropout: the summed loss and the head's outputs (what evaluate needs). */
  evaluate(
    x: Float32Array,
    y: Float32Array,
    n: number,
    head: "linear" | "sigmoid" | "softmax",
  ): { lossSum: number; probs: Float32Array };
}

export function hostParams(ops: DenseOp[]): number {
  return ops.reduce((s, o) => s + (o.kind === "dense" ? o.kernel.size + o.bias.size : 0), 0);
}

const pad4 = (n: number) => (n + 3) & ~3;
// Units are padded to whole blocks of 16 columns: host-wasm.ts keeps a block in four f32x4 registers.
const pad16 = (n: number) => (n + 15) & ~15;

export function makeHostStep(ops: DenseOp[], objective: Objective, optimizer: FusedAdam, width: number): HostStep {
  const stages: Stage[] = [];
  let cols = width;
  let real = width;
  let total = 0;
  let packed = 0;
  for (const op of ops) {
    if (op.kind === "dropout") stages.push({ kind: "dropout", cols, real, rate: op.rate });
    else {
      const units = op.kernel.shape[1] as number;
      const d: Dense = {
        kind: "dense",
        inputs: cols,
        realInputs: real,
        cols: pad16(units),
        real: units,
        activation: op.activation,
        kernel: op.kernel,
        bias: op.bias,
        at: total,
        packedAt: packed,
      };
      stages.push(d);
      total += d.inputs * d.cols + d.cols;
      packed += op.kernel.size + op.bias.size;
      cols = d.cols;
      real = units;
    }
  }
  const firstDense = stages.findIndex((s) => s.kind === "dense");
  const dense = stages.filter((s): s is Dense => s.kind === "dense");
  const headCols = cols;
  const headReal = real;

  // Memory: parameters, gradients and Adam's moments (padded, `total` floats each), then per-batch buffers.
  const wasm = hostWasm(Math.ceil((4 * total * 4) / 65536) + 1);
  let f32 = new Float32Array(wasm.memory.buffer);
  const P = 0;
  const G = total * 4;
  const M = 2 * total * 4;
  const V = 3 * total * 4;
  let rows = 0;
  let xAt = 0;
  let outAt: number[] = [];
  let dInAt: number[] = [];
  let dLogitsAt = 0;
  let masks: Float32Array[] = [];
  const ensure = (n: number) => {
    if (n <= rows) return;
    rows = n;
    let at = 4 * total * 4;
    const take = (floats: number) => {
      const here = at;
      at += pad4(floats) * 4;
      return here;
    };
    xAt = take(n * width);
    outAt = stages.map((s) => take(n * s.cols));
    dInAt = stages.map((s) => take(n * (s.kind === "dense" ? s.inputs : s.cols)));
    dLogitsAt = take(n * headCols);
    masks = stages.map((s) => new Float32Array(s.kind === "dropout" ? n * s.real : 0));
    const pages = Math.ceil(at / 65536) - wasm.memory.buffer.byteLength / 65536;
    if (pages > 0) wasm.memory.grow(pages);
    f32 = new Float32Array(wasm.memory.buffer);
    f32.fill(0, 4 * total); // padding columns stay zero from here on
  };

  // Start from the variables and FusedAdam's state: fresh, restored from a checkpoint, or left by the tensor path.
  const st = optimizer.hostState(packed);
  let t = st.iterations;
  const unpack = (from: Float32Array, to: number) => {
    for (const d of dense) {
      for (let i = 0; i < d.realInputs; i++) {
        f32.set(from.subarray(d.packedAt + i * d.real, d.packedAt + (i + 1) * d.real), to / 4 + d.at + i * d.cols);
      }
      const b = d.packedAt + d.realInputs * d.real;
      f32.set(from.subarray(b, b + d.real), to / 4 + d.at + d.inputs * d.cols);
    }
  };
  const pack = (from: number): Float32Array => {
    const out = new Float32Array(packed);
    for (const d of dense) {
      const base = from / 4 + d.at;
      for (let i = 0; i < d.realInputs; i++) {
        out.set(f32.subarray(base + i * d.cols, base + i * d.cols + d.real), d.packedAt + i * d.real);
      }
      const b = base + d.inputs * d.cols;
      out.set(f32.subarray(b, b + d.real), d.packedAt + d.realInputs * d.real);
    }
    return out;
  };
  const weights = new Float32Array(packed);
  for (const d of dense) {
    weights.set(d.kernel.dataSync() as Float32Array, d.packedAt);
    weights.set(d.bias.dataSync() as Float32Array, d.packedAt + d.kernel.size);
  }
  unpack(weights, P);
  unpack(st.m, M);
  unpack(st.v, V);
  const hp = optimizer.hyperparameters();
  let dirty = false;

  /** Forward over the n rows at xAt; dropout draws its masks when training and is the identity when not. */
  const forward = (n: number, training: boolean): number => {
    let a = xAt;
    for (let i = 0; i < stages.length; i++) {
      const s = stages[i] as Stage;
      const out = outAt[i] as number;
      if (s.kind === "dropout") {
        if (!training) continue;
        // Drawn row by row over the real columns, as dropoutMask draws them.
        const mask = masks[i] as Float32Array;
        const keep = Math.fround(1 / (1 - s.rate));
        for (let r = 0, e = 0; r < n; r++) {
          const src = a / 4 + r * s.cols;
          const dst = out / 4 + r * s.cols;
          for (let j = 0; j < s.real; j++, e++) {
            const k = Math.random() >= s.rate ? keep : 0;
            mask[e] = k;
            f32[dst + j] = (f32[src + j] as number) * k;
          }
        }
      } else {
        const b = P + (s.at + s.inputs * s.cols) * 4;
        wasm.forward(a, P + s.at * 4, b, out, n, s.inputs, s.cols, s.activation === "relu" ? 1 : 0);
        if (s.activation === "sigmoid" || s.activation === "tanh")
          squash(f32, out / 4, n, s.cols, s.real, s.activation);
      }
      a = out;
    }
    return a;
  };

  const step = (x: Float32Array, y: Float32Array, n: number): number => {
    ensure(n);
    f32.set(x.subarray(0, n * width), xAt / 4);
    const a = forward(n, true);
    const loss = headGradient(objective, f32, a / 4, y, n, headCols, headReal, dLogitsAt / 4);
    // Backward, then Adam.
    let g = dLogitsAt;
    for (let i = stages.length - 1; i >= firstDense; i--) {
      const s = stages[i] as Stage;
      const dIn = dInAt[i] as number;
      if (s.kind === "dropout") {
        const mask = masks[i] as Float32Array;
        for (let r = 0, e = 0; r < n; r++) {
          const src = g / 4 + r * s.cols;
          const dst = dIn / 4 + r * s.cols;
          for (let j = 0; j < s.real; j++, e++) f32[dst + j] = (f32[src + j] as number) * (mask[e] as number);
        }
        g = dIn;
        continue;
      }
      const out = outAt[i] as number;
      if (s.activation === "relu") wasm.reluGrad(g, out, n * s.cols * 4);
      else if (s.activation !== "linear") squashGradient(f32, g / 4, out / 4, n * s.cols, s.activation);
      const input = i === 0 ? xAt : (outAt[i - 1] as number);
      wasm.gradients(input, g, G + s.at * 4, G + (s.at + s.inputs * s.cols) * 4, n, s.inputs, s.cols);
      if (i > firstDense) {
        wasm.backward(g, P + s.at * 4, dIn, n, s.inputs, s.cols);
        g = dIn;
      }
    }
    t += 1;
    // FusedAdam's update (adam.ts), with the bias corrections and the learning rate folded into a and b.
    const { lr, beta1, beta2, epsilon } = hp;
    const lrT = lr / (1 - beta1 ** t);
    const scale = 1 / (lrT * Math.sqrt(1 - beta2 ** t));
    wasm.adam(P, G, M, V, total * 4, beta1, 1 - beta1, beta2, 1 - beta2, scale, epsilon / lrT);
    dirty = true;
    return loss;
  };

  /** Weights and Adam state as a checkpoint holds them (checkpoint.ts encodes them without a tensor). */
  const tensors = (): HostTensors => ({
    weights: pack(P),
    m: pack(M),
    v: pack(V),
    iterations: t,
    names: dense.flatMap((d) => [d.kernel.name, d.bias.name]),
  });

  const sync = () => {
    if (!dirty) return;
    dirty = false;
    const w = pack(P);
    tf.tidy(() => {
      for (const d of dense) {
        d.kernel.assign(tf.tensor(w.slice(d.packedAt, d.packedAt + d.kernel.size), d.kernel.shape));
        const b = d.packedAt + d.kernel.size;
        d.bias.assign(tf.tensor(w.slice(b, b + d.bias.size), d.bias.shape));
      }
    });
    optimizer.loadHostState(
      pack(M),
      pack(V),
      t,
      dense.flatMap((d) => [d.kernel, d.bias]),
    );
  };
  /** Summed loss over the rows and the head's activation of the logits (n × classes), in inference mode. */
  const evaluate = (x: Float32Array, y: Float32Array, n: number, head: HeadActivation) => {
    const chunk = Math.max(rows, 1024);
    ensure(chunk);
    const probs = new Float32Array(n * headReal);
    let lossSum = 0;
    for (let from = 0; from < n; from += chunk) {
      const m = Math.min(chunk, n - from);
      f32.set(x.subarray(from * width, (from + m) * width), xAt / 4);
      const logits = forward(m, false) / 4;
      lossSum +=
        m * headGradient(objective, f32, logits, y.subarray(from, from + m), m, headCols, headReal, dLogitsAt / 4);
      for (let r = 0; r < m; r++) {
        const src = logits + r * headCols;
        const dst = (from + r) * headReal;
        for (let j = 0; j < headReal; j++) probs[dst + j] = f32[src + j] as number;
        if (head === "softmax") softmaxRow(probs, dst, headReal);
      }
    }
    if (head === "sigmoid") for (let e = 0; e < probs.length; e++) probs[e] = 1 / (1 + Math.exp(-(probs[e] as number)));
    return { lossSum, probs };
  };
  return { step, sync, evaluate, tensors };
}

type HeadActivation = "linear" | "sigmoid" | "softmax";

function softmaxRow(p: Float32Array, at: number, k: number): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < k; j++) max = Math.max(max, p[at + j] as number);
  let z = 0;
  for (let j = 0; j < k; j++) z += Math.exp((p[at + j] as number) - max);
  for (let j = 0; j < k; j++) p[at + j] = Math.exp((p[at + j] as number) - max) / z;
}

/** sigmoid or tanh over the real columns; the padding stays zero. */
function squash(f: Float32Array, at: number, n: number, cols: number, real: number, act: "sigmoid" | "tanh"): void {
  for (let r = 0; r < n; r++) {
    const row = at + r * cols;
    for (let j = 0; j < real; j++) {
      const z = f[row + j] as number;
      f[row + j] = act === "sigmoid" ? 1 / (1 + Math.exp(-z)) : Math.tanh(z);
    }
  }
}

/** g ← g · act′, from the activation's output. */
function squashGradient(f: Float32Array, g: number, out: number, len: number, act: "sigmoid" | "tanh"): void {
  for (let e = 0; e < len; e++) {
    const o = f[out + e] as number;
    f[g + e] = (f[g + e] as number) * (act === "sigmoid" ? o * (1 - o) : 1 - o * o);
  }
}

/** The batch's mean loss, and d(loss)/d(logits) into f at `d` (same row stride as the logits). */
function headGradient(
  objective: Objective,
  f: Float32Array,
  logits: number,
  y: Float32Array,
  n: number,
  cols: number,
  k: number,
  d: number,
): number {
  let sum = 0;
  if (objective === "softmaxCrossentropy") {
    for (let r = 0; r < n; r++) {
      const at = logits + r * cols;
      const dr = d + r * cols;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) max = Math.max(max, f[at + j] as number);
      let z = 0;
      for (let j = 0; j < k; j++) {
        const e = Math.exp((f[at + j] as number) - max);
        f[dr + j] = e;
        z += e;
      }
      const label = y[r] as number;
      sum += Math.log(z) + max - (f[at + label] as number);
      const scale = 1 / (z * n);
      for (let j = 0; j < k; j++) f[dr + j] = (f[dr + j] as number) * scale;
      f[dr + label] = (f[dr + label] as number) - 1 / n;
    }
    return sum / n;
  }
  for (let r = 0; r < n; r++) {
    const z = f[logits + r * cols] as number;
    const target = y[r] as number;
    if (objective === "sigmoidCrossentropy") {
      sum += Math.max(z, 0) - z * target + Math.log1p(Math.exp(-Math.abs(z)));
      f[d + r * cols] = (1 / (1 + Math.exp(-z)) - target) / n;
    } else {
      const diff = z - target;
      sum += diff * diff;
      f[d + r * cols] = (2 * diff) / n;
    }
  }
  return sum / n;
}
