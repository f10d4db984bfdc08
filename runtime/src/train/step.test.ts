// The hand-written dense step against TensorFlow.js' own autodiff: same loss, same gradients.
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../backends.js";
import { buildStack, headFor } from "./layers.js";
import { nativeOps } from "./native-ops.js";
import { makeLoss } from "./objective.js";
import type { LayerSpec, LossName, Task } from "./spec.js";
import {
  type DenseOp,
  denseBackward,
  denseForward,
  densePlan,
  dropoutMask,
  headGradient,
  objectiveFor,
} from "./step.js";

const close = (a: tf.Tensor, b: tf.Tensor) => {
  const d = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number;
  const scale = Math.max(1, tf.max(tf.abs(b)).dataSync()[0] as number);
  expect(d / scale).toBeLessThan(1e-5);
};

const cases: [string, Task, LossName, string[] | undefined, LayerSpec[]][] = [
  [
    "softmax crossentropy, relu + dropout + tanh",
    "multiclass",
    "sparseCategoricalCrossentropy",
    ["a", "b", "c"],
    [
      { type: "dense", units: 6, activation: "relu" },
      { type: "dropout", rate: 0.3 },
      { type: "dense", units: 5, activation: "tanh" },
    ],
  ],
  [
    "binary crossentropy, sigmoid",
    "binary",
    "binaryCrossentropy",
    ["no", "yes"],
    [{ type: "dense", units: 4, activation: "sigmoid" }],
  ],
  ["mean squared error, linear", "regression", "meanSquaredError", undefined, [{ type: "dense", units: 3 }]],
];

// On tensorflow the step uses libtensorflow's ReluGrad and SoftmaxCrossEntropyWithLogits (native-ops.ts).
describe.each(["cpu", "tensorflow"] as const)("dense step on %s", (backend) => {
  beforeAll(() => initBackend(backend));
  it.each(cases)("%s: loss and gradients equal autodiff's", (_name, task, lossName, classes, layers) => {
    const head = headFor(task, classes);
    const model = buildStack(layers, 4, head);
    const ops = densePlan(model) as DenseOp[];
    const objective = objectiveFor(lossName, head);
    expect(ops).toBeDefined();
    expect(objective).toBeDefined();
    const n = 7;
    const x = tf.randomNormal([n, 4], 0, 1, "float32", 3) as tf.Tensor2D;
    const y = Float32Array.from({ length: n }, (_, i) =>
      task === "regression" ? i / 3 - 1 : i % Math.max(2, head.units),
    );
    const masks = ops.filter((o) => o.kind === "dropout").map((o) => dropoutMask(n, 6, (o as { rate: number }).rate));
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = makeLoss(lossName, head.units);
    const want = tf.variableGrads(() => loss(tf.tensor1d(y), denseForward(ops, x, masks).logits), vars);
    const { logits, saved } = denseForward(ops, x, masks);
    const native = nativeOps();
    expect(native === undefined).toBe(backend === "cpu");
    const got = headGradient(objective as NonNullable<typeof objective>, logits, y, n, native);
    close(got.loss, want.value);
    const grads = denseBackward(ops, saved, got.dLogits, native);
    expect(grads.map((g) => g.name)).toEqual(vars.map((v) => v.name));
    for (const g of grads) close(g.tensor, want.grads[g.name] as tf.Tensor);
  });
});

describe("dense step", () => {
  beforeAll(() => initBackend("cpu"));

  it("leaves models it does not cover to the general path", () => {
    const multi = headFor("multiclass", ["a", "b"]);
    expect(densePlan(buildStack([{ type: "dense", units: 4, activation: "elu" }], 4, multi))).toBeUndefined();
    expect(densePlan(buildStack([{ type: "conv1d", filters: 2, kernelSize: 2 }], 4, multi))).toBeUndefined();
    expect(densePlan(buildStack([{ type: "batchNormalization" }], 4, multi))).toBeUndefined();
    const frozen = buildStack([{ type: "dense", units: 4 }], 4, multi);
    const dense = frozen.layers.find((l) => l.getClassName() === "Dense") as tf.layers.Layer;
    dense.trainable = false;
    expect(densePlan(frozen)).toBeUndefined();
    expect(objectiveFor("huberLoss", headFor("regression", undefined))).toBeUndefined();
    expect(objectiveFor("categoricalCrossentropy", multi)).toBe("softmaxCrossentropy");
  });

  it("draws inverted dropout masks from Math.random: zeros or 1/(1 − rate)", () => {
    const m = Array.from(dropoutMask(50, 20, 0.25).dataSync());
    expect(new Set(m)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
    const kept = m.filter((v) => v > 0).length / m.length;
    expect(kept).toBeGreaterThan(0.6);
    expect(kept).toBeLessThan(0.9);
  });
});
