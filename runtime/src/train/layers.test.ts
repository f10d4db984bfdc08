import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { buildStack, fineTune, HEAD_NAME, headFor, servingTopology, toLayer } from "./layers.js";
import type { LayerSpec } from "./spec.js";

describe("layer mapping", () => {
  it.each<[LayerSpec, string, Record<string, unknown>]>([
    [{ type: "dense", units: 7, activation: "tanh" }, "Dense", { units: 7, activation: "tanh" }],
    [{ type: "dropout", rate: 0.25 }, "Dropout", { rate: 0.25 }],
    [{ type: "batchNormalization" }, "BatchNormalization", {}],
    [{ type: "conv1d", filters: 3, kernelSize: 2, activation: "relu" }, "Conv1D", { filters: 3, kernelSize: [2] }],
    [{ type: "conv2d", filters: 4, kernelSize: 3 }, "Conv2D", { filters: 4, kernelSize: [3, 3], activation: "linear" }],
    [{ type: "flatten" }, "Flatten", {}],
    [{ type: "maxPooling2d", poolSize: 2 }, "MaxPooling2D", { poolSize: [2, 2] }],
  ])("%o → %s", (spec, cls, config) => {
    const layer = toLayer(spec);
    expect(layer.getClassName()).toBe(cls);
    expect(layer.getConfig()).toMatchObject(config);
  });

  it("gives each task its head", () => {
    expect(headFor("regression", undefined)).toEqual({ units: 1, activation: "linear" });
    expect(headFor("binary", ["no", "yes"])).toEqual({ units: 1, activation: "sigmoid" });
    expect(headFor("multiclass", ["a", "b", "c"])).toEqual({ units: 3, activation: "softmax" });
    expect(() => headFor("binary", ["a", "b", "c"])).toThrow(/needs a target with 2 classes/);
    expect(() => headFor("multiclass", undefined)).toThrow(/at least 2 classes/);
  });

  it("builds a stack from the DataSet's width to the task's units, reshaping for convolutions", () => {
    const mlp = buildStack(
      [{ type: "dense", units: 5, activation: "relu" }],
      8,
      headFor("multiclass", ["a", "b", "c"]),
    );
    expect(mlp.inputs[0]?.shape).toEqual([null, 8]);
    expect(mlp.outputs[0]?.shape).toEqual([null, 3]);
    const conv = buildStack(
      [
        { type: "conv2d", filters: 2, kernelSize: 3 },
        { type: "maxPooling2d", poolSize: 2 },
      ],
      64,
      headFor("binary", ["n", "y"]),
    );
    expect(conv.layers.map((l) => l.getClassName())).toEqual(["Reshape", "Conv2D", "MaxPooling2D", "Flatten", "Dense"]);
    expect(conv.outputs[0]?.shape).toEqual([null, 1]);
  });

  it("refuses a stack whose shapes do not fit, naming the layer", () => {
    const head = headFor("regression", undefined);
    expect(() => buildStack([{ type: "conv2d", filters: 1, kernelSize: 3 }], 10, head)).toThrow(
      /layers\[0\] \(conv2d\) needs a square image, but the DataSet has 10 features/,
    );
    expect(() => buildStack([{ type: "conv2d", filters: 1, kernelSize: 5 }], 9, head)).toThrow(
      /model.layers\[0\] \(conv2d\)/,
    );
  });

  it("saves the head with the task's activation", () => {
    const m = buildStack([{ type: "dense", units: 2 }], 3, headFor("multiclass", ["a", "b"]));
    const topology = servingTopology(m.toJSON(undefined, false), { units: 2, activation: "softmax" }) as {
      config: { layers: { config: { name: string; activation?: string } }[] };
    };
    expect(topology.config.layers.find((l) => l.config.name === HEAD_NAME)?.config.activation).toBe("softmax");
  });

  it("fine-tunes a base model: keeps a fitting head's weights and trains only the last layers", () => {
    const base = tf.sequential({
      layers: [
        tf.layers.dense({ units: 4, inputShape: [3], activation: "relu" }),
        tf.layers.dense({ units: 4, activation: "relu" }),
        tf.layers.dense({ units: 2, activation: "softmax" }),
      ],
    });
    const tuned = fineTune(base, 3, headFor("multiclass", ["a", "b"]), 1);
    expect(tuned.layers.filter((l) => l.trainable && l.getClassName() !== "InputLayer").map((l) => l.name)).toEqual([
      HEAD_NAME,
    ]);
    const want = base.layers[2]?.getWeights()[0]?.dataSync();
    expect(tuned.getLayer(HEAD_NAME).getWeights()[0]?.dataSync()).toEqual(want);
    const other = fineTune(base, 3, headFor("multiclass", ["a", "b", "c"]), undefined);
    expect(other.outputs[0]?.shape).toEqual([null, 3]);
    expect(other.layers.filter((l) => l.getClassName() !== "InputLayer").every((l) => l.trainable)).toBe(true);
    expect(() => fineTune(base, 5, headFor("binary", ["n", "y"]), undefined)).toThrow(/DataSet has 5 features/);
  });
});
