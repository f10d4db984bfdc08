import { describe, expect, it } from "vitest";
import { checkLoss, defaultLoss, trainSpecOf } from "./spec.js";

const job = (spec: Record<string, unknown>) => ({
  kind: "TrainingJob",
  metadata: { name: "j" },
  spec: { dataSetRef: { name: "d" }, task: "multiclass", model: { layers: [{ type: "dense", units: 4 }] }, ...spec },
});

describe("trainSpecOf", () => {
  it("applies the API's defaults", () => {
    const s = trainSpecOf(job({ hyperparameters: {} }));
    expect(s).toMatchObject({
      name: "j",
      dataSet: "d",
      optimizer: "adam",
      learningRate: 0.001,
      epochs: 10,
      batchSize: 32,
      loss: "sparseCategoricalCrossentropy",
      metrics: [],
      seed: 0,
    });
    expect(s.earlyStopping).toBeUndefined();
    expect(trainSpecOf(job({ hyperparameters: { earlyStopping: {} } })).earlyStopping).toEqual({
      monitor: "val_loss",
      patience: 3,
      minDelta: 0,
    });
  });

  it("picks the loss from the task and refuses one that does not fit", () => {
    expect([defaultLoss("regression"), defaultLoss("binary"), defaultLoss("multiclass")]).toEqual([
      "meanSquaredError",
      "binaryCrossentropy",
      "sparseCategoricalCrossentropy",
    ]);
    expect(() => checkLoss("regression", "binaryCrossentropy")).toThrow(/does not fit task regression/);
    expect(() => checkLoss("binary", "categoricalCrossentropy")).toThrow(/use binaryCrossentropy/);
    expect(() => checkLoss("multiclass", "huberLoss")).toThrow(/task multiclass/);
    expect(() => trainSpecOf(job({ task: "regression", hyperparameters: { metrics: ["auc"] } }))).toThrow(
      /metric auc needs a classification task/,
    );
  });

  it("names the field of a bad value", () => {
    expect(() => trainSpecOf(job({ hyperparameters: { optimizer: "lbfgs" } }))).toThrow(
      /spec.hyperparameters.optimizer must be one of sgd, momentum/,
    );
    expect(() => trainSpecOf(job({ model: { layers: [{ type: "dense" }] }, hyperparameters: {} }))).toThrow(
      /model.layers\[0\].units must be an integer/,
    );
    expect(() => trainSpecOf(job({ model: {}, hyperparameters: {} }))).toThrow(/exactly one of model.layers/);
    expect(() => trainSpecOf({ kind: "DataSet" })).toThrow(/holds a DataSet, not a TrainingJob/);
  });
});

describe("issue #24 hardening: base model", () => {
  it("finding: an http(s) base model without a digest is refused; a given digest is kept to verify the weights", () => {
    const base = (baseModel: Record<string, unknown>) =>
      trainSpecOf(job({ model: { baseModel }, hyperparameters: {} }));
    expect(() => base({ uri: "https://models.example.com/base/model.json" })).toThrow(
      /spec.model.baseModel.digest is required for an http\(s\) base model/,
    );
    expect(() => base({ uri: "pvc://models/base/model.json", digest: "md5:abc" })).toThrow(
      /spec.model.baseModel.digest must look like sha256:<64 hex digits>/,
    );
    const digest = `sha256:${"a".repeat(64)}`;
    expect(base({ uri: "https://models.example.com/base/model.json", digest }).model).toEqual({
      baseModel: { uri: "https://models.example.com/base/model.json", digest },
    });
  });
});
