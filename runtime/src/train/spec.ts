// The part of a TrainingJob manifest `train` reads, with the API's defaults, and the checks that need the DataSet
// (loss versus task, classes). Pure. The CRD schema already refused what it can; a local run has no API server in
// front of it, so the same rules are checked here and break with one line naming the field.
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import {
  ACTIVATIONS,
  EARLY_STOPPING_MONITORS,
  HYPERPARAMETER_DEFAULTS,
  LAYER_TYPES,
  LOSSES,
  MAX_NOISE_MULTIPLIER,
  METRICS,
  OPTIMIZERS,
  PRIVACY_SAMPLING,
  REGRESSION_LOSSES,
  TASKS,
} from "../contract/training.js";
import { ConfigError } from "../errors.js";

export { OPTIMIZERS };

type LayerType = (typeof LAYER_TYPES)[number];
type Activation = (typeof ACTIVATIONS)[number];
export type OptimizerName = (typeof OPTIMIZERS)[number];
export type LossName = (typeof LOSSES)[number];
export type MetricName = (typeof METRICS)[number];
export type Task = (typeof TASKS)[number];

export interface LayerSpec {
  type: LayerType;
  units?: number;
  activation?: Activation;
  rate?: number;
  filters?: number;
  kernelSize?: number;
  poolSize?: number;
}

/** hyperparameters.privacy: DP-SGD (dp-step.ts), exactly one of noiseMultiplier and targetEpsilon. */
export interface PrivacySpec {
  l2NormClip: number;
  noiseMultiplier?: number;
  targetEpsilon?: number;
  /** Default: defaultDelta of the training rows (dp-plan.ts). */
  delta?: number;
  sampling: (typeof PRIVACY_SAMPLING)[number];
}

export interface TrainSpec {
  /** metadata.name, or "local". */
  name: string;
  dataSet: string;
  task: Task;
  model: { layers: LayerSpec[] } | { baseModel: { uri: string; digest?: string; trainableLayers?: number } };
  optimizer: OptimizerName;
  learningRate: number;
  epochs: number;
  batchSize: number;
  loss: LossName;
  metrics: MetricName[];
  earlyStopping?: { monitor: (typeof EARLY_STOPPING_MONITORS)[number]; patience: number; minDelta: number };
  seed: number;
  privacy?: PrivacySpec;
}

/** The loss a task gets when the spec names none (Keras' usual choices). */
export function defaultLoss(task: Task): LossName {
  if (task === "regression") return "meanSquaredError";
  return task === "binary" ? "binaryCrossentropy" : "sparseCategoricalCrossentropy";
}

/** Which losses fit which task; the head's activation follows from the task (linear, sigmoid, softmax). */
export function checkLoss(task: Task, loss: LossName): void {
  const regression = (REGRESSION_LOSSES as readonly LossName[]).includes(loss);
  if (task === "regression" && !regression) {
    throw new ConfigError(
      `hyperparameters.loss ${loss} does not fit task regression: use ${REGRESSION_LOSSES.join(", ")}`,
    );
  }
  if (task === "binary" && loss !== "binaryCrossentropy") {
    throw new ConfigError(`hyperparameters.loss ${loss} does not fit task binary: use binaryCrossentropy`);
  }
  if (task === "multiclass" && loss !== "categoricalCrossentropy" && loss !== "sparseCategoricalCrossentropy") {
    throw new ConfigError(
      `hyperparameters.loss ${loss} does not fit task multiclass: use sparseCategoricalCrossentropy or categoricalCrossentropy`,
    );
  }
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${field} must be one of ${allowed.join(", ")} (got ${JSON.stringify(value)})`);
}

function num(value: unknown, field: string, fallback: number, min: number, max: number, integer = false): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new ConfigError(
      `${field} must be ${integer ? "an integer" : "a number"} from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return v;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});

function layerOf(raw: unknown, i: number): LayerSpec {
  const l = obj(raw);
  const at = `model.layers[${i}]`;
  const type = oneOf(l.type, LAYER_TYPES, `${at}.type`);
  const spec: LayerSpec = { type };
  if (l.activation !== undefined) spec.activation = oneOf(l.activation, ACTIVATIONS, `${at}.activation`);
  if (type === "dense") spec.units = num(l.units, `${at}.units`, Number.NaN, 1, 65536, true);
  if (type === "dropout") spec.rate = num(l.rate, `${at}.rate`, Number.NaN, 0, 0.99);
  if (type === "conv1d" || type === "conv2d") {
    spec.filters = num(l.filters, `${at}.filters`, Number.NaN, 1, 4096, true);
    spec.kernelSize = num(l.kernelSize, `${at}.kernelSize`, Number.NaN, 1, 64, true);
  }
  if (type === "maxPooling2d") spec.poolSize = num(l.poolSize, `${at}.poolSize`, 2, 1, 64, true);
  return spec;
}

function privacyOf(raw: unknown): PrivacySpec {
  const p = obj(raw);
  const at = "spec.hyperparameters.privacy";
  if ((p.noiseMultiplier === undefined) === (p.targetEpsilon === undefined)) {
    throw new ConfigError(`${at}: set exactly one of noiseMultiplier or targetEpsilon`);
  }
  const positive = (v: unknown, field: string, max: number) => {
    const x = num(v, `${at}.${field}`, Number.NaN, 0, max);
    if (x === 0) throw new ConfigError(`${at}.${field} must be greater than 0`);
    return x;
  };
  return {
    l2NormClip: positive(p.l2NormClip, "l2NormClip", 1e6),
    ...(p.noiseMultiplier !== undefined
      ? { noiseMultiplier: positive(p.noiseMultiplier, "noiseMultiplier", MAX_NOISE_MULTIPLIER) }
      : {}),
    ...(p.targetEpsilon !== undefined ? { targetEpsilon: positive(p.targetEpsilon, "targetEpsilon", 1000) } : {}),
    ...(p.delta !== undefined ? { delta: positive(p.delta, "delta", 0.1) } : {}),
    sampling: oneOf(p.sampling, PRIVACY_SAMPLING, `${at}.sampling`, "poisson"),
  };
}

/** A TrainingJob object (as the API server returns it, or a local manifest) → TrainSpec. */
export function trainSpecOf(manifest: unknown): TrainSpec {
  const m = obj(manifest);
  if (m.kind !== undefined && m.kind !== "TrainingJob") {
    throw new ConfigError(`the spec file holds a ${String(m.kind)}, not a TrainingJob`);
  }
  const spec = obj(m.spec);
  const task = oneOf(spec.task, TASKS, "spec.task");
  const model = obj(spec.model);
  const hp = obj(spec.hyperparameters);
  const hasLayers = Array.isArray(model.layers);
  if (hasLayers === (model.baseModel !== undefined)) {
    throw new ConfigError("spec.model: set exactly one of model.layers or model.baseModel");
  }
  let modelSpec: TrainSpec["model"];
  if (hasLayers) {
    const layers = model.layers as unknown[];
    if (layers.length === 0) throw new ConfigError("spec.model.layers must have at least one layer");
    modelSpec = { layers: layers.map(layerOf) };
  } else {
    const base = obj(model.baseModel);
    if (typeof base.uri !== "string" || base.uri === "") throw new ConfigError("spec.model.baseModel.uri is required");
    if (base.digest !== undefined && (typeof base.digest !== "string" || !/^sha256:[0-9a-f]{64}$/.test(base.digest))) {
      throw new ConfigError("spec.model.baseModel.digest must look like sha256:<64 hex digits>");
    }
    // Weights fetched over the network are only trusted by their digest (a pvc model is the cluster's own).
    if (/^https?:\/\//.test(base.uri) && base.digest === undefined) {
      throw new ConfigError(
        "spec.model.baseModel.digest is required for an http(s) base model: set it to the model's sha256:<hex> digest (as in a ModelDeployment's model.digest, or the TrainingJob status.model.digest that produced it)",
      );
    }
    modelSpec = {
      baseModel: {
        uri: base.uri,
        ...(typeof base.digest === "string" ? { digest: base.digest } : {}),
        ...(base.trainableLayers !== undefined
          ? { trainableLayers: num(base.trainableLayers, "spec.model.baseModel.trainableLayers", 1, 1, 1e6, true) }
          : {}),
      },
    };
  }
  const loss = oneOf(hp.loss, LOSSES, "spec.hyperparameters.loss", defaultLoss(task));
  checkLoss(task, loss);
  const metrics = Array.isArray(hp.metrics)
    ? hp.metrics.map((x, i) => oneOf(x, METRICS, `spec.hyperparameters.metrics[${i}]`))
    : [];
  const misfit =
    task === "regression" ? metrics.find((x) => ["accuracy", "precision", "recall", "auc"].includes(x)) : undefined;
  if (misfit) throw new ConfigError(`metric ${misfit} needs a classification task; use mse or mae for regression`);
  const es = hp.earlyStopping === undefined ? undefined : obj(hp.earlyStopping);
  const name = obj(m.metadata).name;
  return {
    name: typeof name === "string" ? name : "local",
    dataSet: String(obj(spec.dataSetRef).name ?? ""),
    task,
    model: modelSpec,
    optimizer: oneOf(hp.optimizer, OPTIMIZERS, "spec.hyperparameters.optimizer", HYPERPARAMETER_DEFAULTS.optimizer),
    learningRate: num(
      hp.learningRate,
      "spec.hyperparameters.learningRate",
      HYPERPARAMETER_DEFAULTS.learningRate,
      Number.MIN_VALUE,
      10,
    ),
    epochs: num(hp.epochs, "spec.hyperparameters.epochs", HYPERPARAMETER_DEFAULTS.epochs, 1, 100000, true),
    batchSize: num(hp.batchSize, "spec.hyperparameters.batchSize", HYPERPARAMETER_DEFAULTS.batchSize, 1, 65536, true),
    loss,
    metrics: [...new Set(metrics)],
    ...(es
      ? {
          earlyStopping: {
            monitor: oneOf(
              es.monitor,
              EARLY_STOPPING_MONITORS,
              "spec.hyperparameters.earlyStopping.monitor",
              HYPERPARAMETER_DEFAULTS.earlyStopping.monitor,
            ),
            patience: num(
              es.patience,
              "spec.hyperparameters.earlyStopping.patience",
              HYPERPARAMETER_DEFAULTS.earlyStopping.patience,
              0,
              10000,
              true,
            ),
            minDelta: num(
              es.minDelta,
              "spec.hyperparameters.earlyStopping.minDelta",
              HYPERPARAMETER_DEFAULTS.earlyStopping.minDelta,
              0,
              Number.MAX_VALUE,
            ),
          },
        }
      : {}),
    seed: num(hp.seed, "spec.hyperparameters.seed", HYPERPARAMETER_DEFAULTS.seed, 0, 2 ** 31 - 1, true),
    ...(hp.privacy !== undefined ? { privacy: privacyOf(hp.privacy) } : {}),
  };
}

/** Reads a TrainingJob manifest (YAML or JSON) from a file. */
export async function readTrainSpec(file: string): Promise<TrainSpec> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new ConfigError(
      `cannot read the TrainingJob spec ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`the TrainingJob spec ${file} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  return trainSpecOf(doc);
}
