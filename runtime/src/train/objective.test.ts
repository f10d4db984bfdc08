import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { makeLoss, makeOptimizer } from "./objective.js";
import { OPTIMIZERS } from "./spec.js";

describe("optimizer mapping", () => {
  it.each([
    ["sgd", "SGD"],
    ["momentum", "Momentum"], // momentum 0.9, as Keras' SGD(momentum=0.9)
    ["adam", "Adam"],
    ["adamax", "Adamax"],
    ["adagrad", "Adagrad"],
    ["adadelta", "Adadelta"],
    ["rmsprop", "RMSProp"],
  ] as const)("%s → %s with the learning rate", (name, cls) => {
    const o = makeOptimizer(name, 0.05);
    expect(o.getClassName()).toBe(cls);
    expect((o.getConfig() as { learningRate: number }).learningRate).toBe(0.05);
  });

  it("covers every optimizer of the API", () => {
    for (const name of OPTIMIZERS) expect(makeOptimizer(name, 0.1)).toBeInstanceOf(tf.Optimizer);
  });
});

describe("loss mapping (from logits)", () => {
  const value = (t: tf.Scalar) => t.dataSync()[0] as number;
  const y = tf.tensor1d([1, 0]);
  const out = tf.tensor2d([[2], [0.5]]);

  it("regression losses compare the output with the target", () => {
    expect(value(makeLoss("meanSquaredError", 1)(y, out))).toBeCloseTo((1 + 0.25) / 2, 6);
    expect(value(makeLoss("meanAbsoluteError", 1)(y, out))).toBeCloseTo((1 + 0.5) / 2, 6);
    // Huber with delta 1: |d| ≤ 1 → d²/2, else |d| - 1/2.
    expect(value(makeLoss("huberLoss", 1)(y, out))).toBeCloseTo((0.5 + 0.125) / 2, 6);
  });

  it("binaryCrossentropy applies the sigmoid to the logits", () => {
    const s = (z: number) => 1 / (1 + Math.exp(-z));
    const want = -(Math.log(s(2)) + Math.log(1 - s(0.5))) / 2;
    expect(value(makeLoss("binaryCrossentropy", 1)(y, out))).toBeCloseTo(want, 5);
  });

  it("both categorical crossentropies take class indices and apply the softmax", () => {
    const logits = tf.tensor2d([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    const labels = tf.tensor1d([2, 0]);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    const want = (lse - 3 + Math.log(3)) / 2;
    expect(value(makeLoss("sparseCategoricalCrossentropy", 3)(labels, logits))).toBeCloseTo(want, 5);
    expect(value(makeLoss("categoricalCrossentropy", 3)(labels, logits))).toBeCloseTo(want, 5);
  });
});
