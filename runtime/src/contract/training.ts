// The TrainingJob vocabulary and defaults both sides apply: the API publishes them as the CRD's enums and defaults
// (operator/src/api/v1alpha1/trainingjob.ts), and `train` checks and fills them in a spec that no API server
// checked (a local manifest; runtime/src/train/spec.ts).

export const LAYER_TYPES = [
  "dense",
  "dropout",
  "batchNormalization",
  "conv1d",
  "conv2d",
  "flatten",
  "maxPooling2d",
] as const;
export const ACTIVATIONS = [
  "linear",
  "relu",
  "elu",
  "selu",
  "sigmoid",
  "tanh",
  "softmax",
  "softplus",
  "swish",
] as const;
export const OPTIMIZERS = ["sgd", "momentum", "adam", "adamax", "adagrad", "adadelta", "rmsprop"] as const;
export const LOSSES = [
  "meanSquaredError",
  "meanAbsoluteError",
  "huberLoss",
  "binaryCrossentropy",
  "categoricalCrossentropy",
  "sparseCategoricalCrossentropy",
] as const;
/** The losses a regression task takes; classification tasks take the crossentropy ones. */
export const REGRESSION_LOSSES = ["meanSquaredError", "meanAbsoluteError", "huberLoss"] as const;
export const METRICS = ["accuracy", "mse", "mae", "precision", "recall", "auc"] as const;
export const TASKS = ["regression", "binary", "multiclass"] as const;
export const EARLY_STOPPING_MONITORS = ["val_loss", "loss"] as const;

/** spec.hyperparameters when omitted (the loss follows from the task). */
export const HYPERPARAMETER_DEFAULTS = {
  optimizer: "adam",
  learningRate: 0.001,
  epochs: 10,
  batchSize: 32,
  seed: 0,
  earlyStopping: { monitor: "val_loss", patience: 3, minDelta: 0 },
} as const;

/** hyperparameters.privacy.sampling: how DP-SGD draws its batches (dp-sampling.ts); poisson is what the accountant assumes. */
export const PRIVACY_SAMPLING = ["poisson", "shuffle"] as const;
/** The largest noise multiplier DP-SGD takes (and searches up to for a targetEpsilon): σ beyond it trains noise. */
export const MAX_NOISE_MULTIPLIER = 1000;
