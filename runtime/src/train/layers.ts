// TrainingJob model spec → a TensorFlow.js LayersModel. The input width comes from the DataSet's features, the
// head from the task (1 linear unit, 1 sigmoid unit, or one softmax unit per class). The head is trained as logits
// (linear) because the losses are computed from logits, which is stabler and cheaper; `servingTopology` puts the
// task's activation back into the saved model.json.
import * as tf from "@tensorflow/tfjs";
import { ConfigError } from "../errors.js";
import type { LayerSpec, Task } from "./spec.js";

export const HEAD_NAME = "liftoff_head";

export interface Head {
  units: number;
  activation: "linear" | "sigmoid" | "softmax";
}

export function headFor(task: Task, classes: readonly string[] | undefined): Head {
  if (task === "regression") return { units: 1, activation: "linear" };
  if (task === "binary") {
    if (classes !== undefined && classes.length !== 2) {
      throw new ConfigError(`task binary needs a target with 2 classes; the DataSet's has ${classes.length}`);
    }
    return { units: 1, activation: "sigmoid" };
  }
  if (classes === undefined || classes.length < 2) {
    throw new ConfigError("task multiclass needs a categorical target with at least 2 classes in the DataSet");
  }
  return { units: classes.length, activation: "softmax" };
}

/** One spec layer → a TensorFlow.js layer (pure mapping; unit-tested per type). */
export function toLayer(l: LayerSpec): tf.layers.Layer {
  switch (l.type) {
    case "dense":
      return tf.layers.dense({ units: l.units as number, activation: l.activation ?? "linear" });
    case "dropout":
      return tf.layers.dropout({ rate: l.rate as number });
    case "batchNormalization":
      return tf.layers.batchNormalization({});
    case "conv1d":
      return tf.layers.conv1d({
        filters: l.filters as number,
        kernelSize: l.kernelSize as number,
        activation: l.activation ?? "linear",
      });
    case "conv2d":
      return tf.layers.conv2d({
        filters: l.filters as number,
        kernelSize: l.kernelSize as number,
        activation: l.activation ?? "linear",
      });
    case "flatten":
      return tf.layers.flatten({});
    case "maxPooling2d":
      return tf.layers.maxPooling2d({ poolSize: l.poolSize ?? 2 });
  }
}

/** The shape a flat feature vector is reshaped to for the first convolution, if any. */
function convInputShape(layers: readonly LayerSpec[], width: number): number[] | undefined {
  const first = layers.find((l) => l.type !== "dropout" && l.type !== "batchNormalization");
  if (first?.type === "conv1d") return [width, 1];
  if (first?.type === "conv2d" || first?.type === "maxPooling2d") {
    const side = Math.round(Math.sqrt(width));
    if (side * side !== width) {
      throw new ConfigError(
        `model.layers[0] (${first.type}) needs a square image, but the DataSet has ${width} features (not n×n)`,
      );
    }
    return [side, side, 1];
  }
  return undefined;
}

function describeShape(shape: tf.Shape | tf.Shape[]): string {
  return JSON.stringify(shape).replaceAll("null", "batch");
}

/** Builds the declarative stack; a layer whose shapes do not fit fails naming the layer and the shapes. */
export function buildStack(layers: readonly LayerSpec[], width: number, head: Head): tf.Sequential {
  const model = tf.sequential();
  const reshape = convInputShape(layers, width);
  if (reshape) model.add(tf.layers.reshape({ targetShape: reshape, inputShape: [width] }));
  layers.forEach((spec, i) => {
    const layer = toLayer(spec);
    const before = model.layers.length === 0 ? [null, width] : (model.outputs[0]?.shape ?? []);
    try {
      if (model.layers.length === 0) {
        model.add(tf.layers.inputLayer({ inputShape: [width] }));
      }
      model.add(layer);
    } catch (err) {
      throw new ConfigError(
        `model.layers[${i}] (${spec.type}) does not fit its input of shape ${describeShape(before)}: ${(err as Error).message.split("\n")[0]}`,
      );
    }
    const out = model.outputs[0]?.shape ?? [];
    if (out.slice(1).some((d) => d !== null && d <= 0)) {
      throw new ConfigError(
        `model.layers[${i}] (${spec.type}) turns shape ${describeShape(before)} into ${describeShape(out)}: reduce kernelSize/poolSize`,
      );
    }
  });
  if ((model.outputs[0]?.shape.length ?? 2) > 2) model.add(tf.layers.flatten({}));
  model.add(tf.layers.dense({ units: head.units, activation: "linear", name: HEAD_NAME }));
  return model;
}

type Topology = { config?: { layers?: { class_name?: string; config?: Record<string, unknown> }[] } };

/** The model.json topology to save: the head gets the task's activation back (see the file comment). */
export function servingTopology(topology: unknown, head: Head): unknown {
  const copy = structuredClone(topology) as Topology;
  const layer = copy.config?.layers?.find((l) => l.config?.name === HEAD_NAME);
  if (layer?.config === undefined) throw new Error("the trained model has no head layer");
  layer.config.activation = head.activation;
  return copy;
}

/** The head's activation applied to logits (evaluation and metrics). */
export function activate(logits: tf.Tensor, head: Head): tf.Tensor {
  if (head.activation === "sigmoid") return tf.sigmoid(logits);
  if (head.activation === "softmax") return tf.softmax(logits);
  return logits;
}

/**
 * A base model to fine-tune: its input must take the DataSet's features; its last layer is replaced by the
 * task's head (weights kept when the unit count already fits) and only the last `trainableLayers` layers train.
 */
export function fineTune(base: tf.LayersModel, width: number, head: Head, trainableLayers: number | undefined) {
  const inShape = base.inputs[0]?.shape;
  if (base.inputs.length !== 1 || inShape?.length !== 2 || inShape[1] !== width) {
    throw new ConfigError(
      `model.baseModel takes input ${describeShape(base.inputs.map((t) => t.shape))}, but the DataSet has ${width} features per row`,
    );
  }
  const layers = base.layers.filter((l) => l.getClassName() !== "InputLayer");
  const last = layers[layers.length - 1];
  if (last === undefined) throw new ConfigError("model.baseModel has no layers");
  const lastUnits = (last.getConfig() as { units?: number }).units;
  const keepHead = last.getClassName() === "Dense" && lastUnits === head.units;
  const trunk = keepHead ? layers[layers.length - 2] : last;
  const trunkOut = (trunk === undefined ? base.inputs[0] : trunk.output) as tf.SymbolicTensor;
  const newHead = tf.layers.dense({ units: head.units, activation: "linear", name: HEAD_NAME });
  const model = tf.model({ inputs: base.inputs, outputs: newHead.apply(trunkOut) as tf.SymbolicTensor });
  if (keepHead) newHead.setWeights(last.getWeights());
  const all = model.layers.filter((l) => l.getClassName() !== "InputLayer");
  const frozen = trainableLayers === undefined ? 0 : Math.max(0, all.length - trainableLayers);
  all.forEach((l, i) => {
    l.trainable = i >= frozen;
  });
  return model;
}
