// bench:search's TrainingSearch on the digits DataSet, and the same space in the terms bench/search_optuna.py reads:
// one definition, so the TrainingSearch and the Optuna peer search the same ranges.

/** The space: learning rate log-uniform, batch size a choice, units log-uniform int, dropout uniform, optimizer. */
export const SPACE = {
  learningRate: { min: 0.0001, max: 0.1 },
  batchSize: [16, 32, 64, 128],
  units: { min: 16, max: 256 },
  dropout: { min: 0, max: 0.5 },
  optimizer: ["adam", "sgd", "rmsprop"],
} as const;

export interface SearchSettings {
  trials: number;
  epochs: number;
  parallelism: number;
  seed: number;
  earlyStopping?: {
    rule: "median" | "successiveHalving";
    minEpochs: number;
    startupTrials: number;
    reductionFactor: number;
  };
}

/** The TrainingSearch spec: a dense model (units, ReLU) → dropout → softmax head over the digits' 10 classes. */
export function searchSpec(s: SearchSettings): Record<string, unknown> {
  return {
    template: {
      spec: {
        dataSetRef: { name: "digits" },
        task: "multiclass",
        model: {
          layers: [
            { type: "dense", units: 64, activation: "relu" },
            { type: "dropout", rate: 0.2 },
          ],
        },
        hyperparameters: {
          optimizer: "adam",
          learningRate: 0.01,
          epochs: s.epochs,
          batchSize: 32,
          metrics: ["accuracy"],
          seed: 1,
        },
        // Half a core each: four trials fit one node of the local cluster; the pods tolerate the GPU node's taint
        // (they need no GPU), so the scheduler spreads them over both nodes.
        resources: { cpu: "500m", memory: "1Gi" },
        tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
      },
    },
    parameters: [
      { name: "learningRate", path: "hyperparameters.learningRate", float: { ...SPACE.learningRate, log: true } },
      { name: "batchSize", path: "hyperparameters.batchSize", int: { values: [...SPACE.batchSize] } },
      { name: "units", path: "model.layers[0].units", int: { ...SPACE.units, log: true } },
      { name: "dropout", path: "model.layers[1].rate", float: { ...SPACE.dropout } },
      { name: "optimizer", path: "hyperparameters.optimizer", categorical: { values: [...SPACE.optimizer] } },
    ],
    objective: { metric: "val_accuracy", goal: "maximize" },
    algorithm: { name: "random", seed: s.seed },
    ...(s.earlyStopping ? { earlyStopping: s.earlyStopping } : {}),
    maxTrials: s.trials,
    parallelism: s.parallelism,
  };
}
