// Optimizer and loss names of the API → TensorFlow.js (pure mappings, unit-tested per name).
import * as tf from "@tensorflow/tfjs";
import { FusedAdam } from "./adam.js";
import type { LossName, OptimizerName } from "./spec.js";

export function makeOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    case "sgd":
      return tf.train.sgd(learningRate);
    case "momentum":
      return tf.train.momentum(learningRate, 0.9);
    case "adam":
      return new FusedAdam(learningRate); // tf.train.adam's algorithm in fewer kernels (adam.ts)
    case "adamax":
      return tf.train.adamax(learningRate);
    case "adagrad":
      return tf.train.adagrad(learningRate);
    case "adadelta":
      return tf.train.adadelta(learningRate);
    case "rmsprop":
      return tf.train.rmsprop(learningRate);
  }
}

/**
 * Mean loss of a batch from the head's logits (pre-activation). `y` holds class indices for the categorical losses
 * (one-hot encoded here: the DataSet stores indices), 0/1 for binaryCrossentropy, targets for regression.
 */
export type LossFn = (y: tf.Tensor1D, logits: tf.Tensor2D) => tf.Scalar;

export function makeLoss(name: LossName, classes: number): LossFn {
  switch (name) {
    case "meanSquaredError":
      return (y, out) => tf.losses.meanSquaredError(y.reshape([-1, 1]), out) as tf.Scalar;
    case "meanAbsoluteError":
      return (y, out) => tf.losses.absoluteDifference(y.reshape([-1, 1]), out) as tf.Scalar;
    case "huberLoss":
      return (y, out) => tf.losses.huberLoss(y.reshape([-1, 1]), out) as tf.Scalar;
    case "binaryCrossentropy":
      return (y, logits) => tf.losses.sigmoidCrossEntropy(y.reshape([-1, 1]), logits) as tf.Scalar;
    case "categoricalCrossentropy":
    case "sparseCategoricalCrossentropy":
      return (y, logits) => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(y, "int32"), classes), logits) as tf.Scalar;
  }
}
