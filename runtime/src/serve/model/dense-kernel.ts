/**
 * Small Dense stacks in plain JavaScript, beside TensorFlow.js. A one-row call
 * of a small MLP is a few thousand multiply-adds (a few µs here), while any
 * TF.js backend spends 10–30 µs per call on tensor objects, kernel dispatch and
 * bookkeeping; libtensorflow more. Sums are accumulated in float64 and rounded
 * to float32 per layer, so results stay within float32 rounding of TF.js's
 * (plain-js-rows.ts checks ≤ 1e-5 at load and keeps TF.js when they differ).
 * Pure functions of the weights; plain-js-rows.ts times up to how many rows to use it.
 */
export type DenseActivation = "linear" | "relu" | "relu6" | "elu" | "sigmoid" | "tanh" | "softmax";

export interface DenseLayer {
  /** Row-major [inputs, units], as Keras and TF.js store a Dense kernel. */
  kernel: Float32Array;
  bias: Float32Array | undefined;
  inputs: number;
  units: number;
  activation: DenseActivation;
}

export const DENSE_ACTIVATIONS: ReadonlySet<string> = new Set<DenseActivation>([
  "linear",
  "relu",
  "relu6",
  "elu",
  "sigmoid",
  "tanh",
  "softmax",
]);

function activate(acc: Float64Array, units: number, act: DenseActivation, out: Float32Array, at: number): void {
  switch (act) {
    case "linear":
      for (let j = 0; j < units; j++) out[at + j] = acc[j] as number;
      return;
    case "relu":
      for (let j = 0; j < units; j++) out[at + j] = Math.max(acc[j] as number, 0);
      return;
    case "relu6":
      for (let j = 0; j < units; j++) out[at + j] = Math.min(Math.max(acc[j] as number, 0), 6);
      return;
    case "elu":
      for (let j = 0; j < units; j++) {
        const v = acc[j] as number;
        out[at + j] = v > 0 ? v : Math.expm1(v);
      }
      return;
    case "sigmoid":
      for (let j = 0; j < units; j++) out[at + j] = 1 / (1 + Math.exp(-(acc[j] as number)));
      return;
    case "tanh":
      for (let j = 0; j < units; j++) out[at + j] = Math.tanh(acc[j] as number);
      return;
    case "softmax": {
      // As TF.js: on the float32 logits, shifted by their maximum.
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < units; j++) {
        const v = Math.fround(acc[j] as number);
        acc[j] = v;
        if (v > max) max = v;
      }
      let sum = 0;
      for (let j = 0; j < units; j++) {
        const e = Math.exp((acc[j] as number) - max);
        acc[j] = e;
        sum += e;
      }
      for (let j = 0; j < units; j++) out[at + j] = (acc[j] as number) / sum;
      return;
    }
  }
}

/**
 * One accumulator row, reused by every call: the kernel runs synchronously on the event loop's thread, so no two
 * calls share it at once, and each row sets its first `units` entries before reading them. (A typed array per
 * layer and request was garbage the collector's helper threads then swept.)
 */
let scratch = new Float64Array(256);

/** y = act(x·W + b) for every layer in turn; `x` is `rows` × the first layer's inputs, row-major. */
export function denseForward(layers: readonly DenseLayer[], x: Float32Array, rows: number): Float32Array {
  let h = x;
  for (const layer of layers) {
    const { kernel, bias, inputs, units, activation } = layer;
    const out = new Float32Array(rows * units);
    if (scratch.length < units) scratch = new Float64Array(units);
    const acc = scratch;
    for (let r = 0; r < rows; r++) {
      if (bias === undefined) acc.fill(0, 0, units);
      else for (let j = 0; j < units; j++) acc[j] = bias[j] as number;
      const base = r * inputs;
      for (let i = 0; i < inputs; i++) {
        const xi = h[base + i] as number;
        if (xi === 0) continue;
        const k = i * units;
        for (let j = 0; j < units; j++) acc[j] = (acc[j] as number) + xi * (kernel[k + j] as number);
      }
      activate(acc, units, activation, out, r * units);
    }
    h = out;
  }
  return h;
}
