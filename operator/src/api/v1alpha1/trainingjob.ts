// TrainingJob: train a TensorFlow.js model by gradient descent on a DataSet, in a (GPU) pod.
import { type Static, Type } from "@sinclair/typebox";
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
  TASKS,
} from "../../contract/training.js";
import { immutable, k8s, NumberMap, Obj, StringEnum } from "../schema.js";
import {
  ComputeResources,
  Conditions,
  LocalObjectReference,
  ObjectStorage,
  ObservedGeneration,
  S3Uri,
  Scheduling,
  VolumeLocation,
} from "./common.js";

const Layer = Obj(
  {
    type: StringEnum(LAYER_TYPES, {
      description: "Kind of layer (TensorFlow.js layers API).",
    }),
    units: Type.Optional(Type.Integer({ description: "Output size (dense).", minimum: 1, maximum: 65536 })),
    activation: Type.Optional(StringEnum(ACTIVATIONS, { description: "Activation function (dense, conv)." })),
    rate: Type.Optional(
      Type.Number({ description: "Fraction of inputs dropped during training (dropout).", minimum: 0, maximum: 0.99 }),
    ),
    filters: Type.Optional(Type.Integer({ description: "Number of filters (conv).", minimum: 1, maximum: 4096 })),
    kernelSize: Type.Optional(Type.Integer({ description: "Kernel size (conv).", minimum: 1, maximum: 64 })),
    poolSize: Type.Optional(Type.Integer({ description: "Pool size (maxPooling2d).", minimum: 1, maximum: 64 })),
  },
  {
    description: "One layer of the model, in order from input to output.",
    rules: [
      { rule: "self.type != 'dense' || has(self.units)", message: "a dense layer needs units" },
      { rule: "self.type != 'dropout' || has(self.rate)", message: "a dropout layer needs rate (0 to 0.99)" },
      {
        rule: "!(self.type in ['conv1d', 'conv2d']) || (has(self.filters) && has(self.kernelSize))",
        message: "a conv layer needs filters and kernelSize",
      },
    ],
  },
);

const ModelDefinition = Obj(
  {
    layers: Type.Optional(
      Type.Array(Layer, {
        description: "A declarative layer stack; the input size comes from the DataSet, the output from the task.",
        minItems: 1,
        maxItems: 64,
      }),
    ),
    baseModel: Type.Optional(
      Obj(
        {
          uri: Type.String({
            description: "TF.js model to fine-tune: pvc://claim/path or http(s):// URL of its model.json.",
            maxLength: 2048,
            pattern: "^(pvc|https?)://[^\\s]+$",
          }),
          digest: Type.Optional(
            Type.String({
              description:
                "Expected sha256 of the model (as a ModelDeployment's model.digest); the job fails when the fetched weights differ. Required for an http(s) uri.",
              pattern: "^sha256:[0-9a-f]{64}$",
            }),
          ),
          trainableLayers: Type.Optional(
            Type.Integer({ description: "How many of the last layers are trained (all when omitted).", minimum: 1 }),
          ),
        },
        {
          description: "An existing model to fine-tune.",
          rules: [
            {
              rule: "!self.uri.startsWith('http') || has(self.digest)",
              message:
                "an http(s) baseModel needs digest: sha256:<64 hex> of the model, so its weights can be verified",
            },
          ],
        },
      ),
    ),
  },
  {
    description: "The model to train: exactly one of layers or baseModel.",
    rules: [
      {
        rule: "has(self.layers) != has(self.baseModel)",
        message: "set exactly one of model.layers or model.baseModel",
      },
    ],
  },
);

const Privacy = Obj(
  {
    l2NormClip: Type.Number({
      description:
        "Each example's gradient is scaled down to at most this L2 norm before the batch's are summed (per-example clipping).",
      exclusiveMinimum: 0,
      maximum: 1000000,
    }),
    noiseMultiplier: Type.Optional(
      Type.Number({
        description:
          "Standard deviation of the Gaussian noise added to the summed gradients, in units of l2NormClip. Set this or targetEpsilon.",
        exclusiveMinimum: 0,
        maximum: MAX_NOISE_MULTIPLIER,
      }),
    ),
    targetEpsilon: Type.Optional(
      Type.Number({
        description:
          "The ε to spend over the whole run; the noise multiplier is derived from it, the epochs, the batch size and the rows (RDP accountant). A target the run cannot reach fails it before the first step, naming the smallest reachable ε. Set this or noiseMultiplier.",
        exclusiveMinimum: 0,
        maximum: 1000,
      }),
    ),
    delta: Type.Optional(
      Type.Number({
        description:
          "The δ of the (ε, δ) guarantee. Default: 1 / training rows rounded down to a power of ten, at most 1e-5.",
        exclusiveMinimum: 0,
        maximum: 0.1,
      }),
    ),
    sampling: StringEnum(PRIVACY_SAMPLING, {
      description:
        "poisson: each step takes every row independently with probability 1/⌈rows/batchSize⌉ (what the accountant assumes); shuffle: a shuffled pass of fixed batches, accounted as if Poisson (the usual practice, not a proof).",
      default: "poisson",
    }),
  },
  {
    description:
      "Differentially private training (DP-SGD): per-example gradient clipping and Gaussian noise; the ε spent is reported in status.progress.privacy and recorded in the model's liftoff.json.",
    rules: [
      {
        rule: "has(self.noiseMultiplier) != has(self.targetEpsilon)",
        message: "set exactly one of privacy.noiseMultiplier or privacy.targetEpsilon",
      },
    ],
  },
);

const Hyperparameters = Obj(
  {
    optimizer: StringEnum(OPTIMIZERS, {
      description: "Gradient-descent optimizer.",
      default: HYPERPARAMETER_DEFAULTS.optimizer,
    }),
    learningRate: Type.Number({
      description: "Step size of the optimizer.",
      exclusiveMinimum: 0,
      maximum: 10,
      default: HYPERPARAMETER_DEFAULTS.learningRate,
    }),
    epochs: Type.Integer(
      k8s({
        description: "Passes over the training split (at least 1).",
        maximum: 100000,
        default: HYPERPARAMETER_DEFAULTS.epochs,
        rules: [{ rule: "self >= 1", message: "epochs must be at least 1" }],
      }),
    ),
    batchSize: Type.Integer({
      description: "Rows per gradient step.",
      minimum: 1,
      maximum: 65536,
      default: HYPERPARAMETER_DEFAULTS.batchSize,
    }),
    loss: Type.Optional(StringEnum(LOSSES, { description: "Loss function; chosen from the task when omitted." })),
    metrics: Type.Optional(
      Type.Array(StringEnum(METRICS, { description: "A metric." }), {
        description: "Metrics reported each epoch besides the loss.",
        maxItems: 8,
        "x-kubernetes-list-type": "set",
      }),
    ),
    earlyStopping: Type.Optional(
      Obj(
        {
          monitor: StringEnum(EARLY_STOPPING_MONITORS, {
            description: "Quantity watched.",
            default: HYPERPARAMETER_DEFAULTS.earlyStopping.monitor,
          }),
          patience: Type.Integer({
            description: "Epochs without improvement before stopping.",
            minimum: 0,
            maximum: 10000,
            default: HYPERPARAMETER_DEFAULTS.earlyStopping.patience,
          }),
          minDelta: Type.Number({
            description: "Smallest change that counts as improvement.",
            minimum: 0,
            default: HYPERPARAMETER_DEFAULTS.earlyStopping.minDelta,
          }),
        },
        { description: "Stop when the monitored quantity stops improving." },
      ),
    ),
    seed: Type.Integer({
      description:
        "Seed of every random draw (initial weights, dropout, shuffling): the same seed on CPU gives the same final weights.",
      minimum: 0,
      maximum: 2147483647,
      default: HYPERPARAMETER_DEFAULTS.seed,
    }),
    privacy: Type.Optional(Privacy),
  },
  { description: "Training hyperparameters." },
);

/** A team's own PyTorch script, run by torchrun over `workers` pods (docs/trainingjob.md, "Your own PyTorch script"). */
const PyTorch = Obj(
  {
    script: Obj(
      {
        configMap: Type.Optional(
          Obj(
            {
              name: LocalObjectReference.properties.name,
              key: Type.String({
                description: "The key holding the script (a file name such as train.py).",
                minLength: 1,
                maxLength: 253,
                pattern: "^[-._a-zA-Z0-9]+$",
              }),
            },
            { description: "A ConfigMap in this namespace and the key that holds the script." },
          ),
        ),
        path: Type.Optional(
          Type.String({
            description: "An absolute path of the script inside the image (a script baked into your own image).",
            minLength: 2,
            maxLength: 1024,
            pattern: "^/[^\\s]*$",
          }),
        ),
      },
      {
        description: "The training script: from a ConfigMap key, or a path in the image.",
        rules: [
          {
            rule: "has(self.configMap) != has(self.path)",
            message: "set pytorch.script.configMap (name and key) or pytorch.script.path, exactly one",
          },
        ],
      },
    ),
    args: Type.Optional(
      Type.Array(Type.String({ maxLength: 1024 }), {
        description: "Arguments passed to the script.",
        maxItems: 64,
      }),
    ),
    image: Type.Optional(
      Type.String({
        description:
          "Image of the workers: the Liftoff PyTorch image or one built FROM it (it carries the runtime, torch and the liftoff Python package). Default: the operator's --pytorch-image, or --pytorch-gpu-image when resources.gpu > 0.",
        minLength: 1,
        maxLength: 512,
      }),
    ),
    workers: Type.Integer({
      description: "Worker pods (torchrun --nnodes); they start together or not at all, each with the resources above.",
      minimum: 1,
      maximum: 64,
      default: 1,
    }),
    procsPerWorker: Type.Integer({
      description: "Processes per worker pod (torchrun --nproc-per-node), e.g. one per GPU of resources.gpu.",
      minimum: 1,
      maximum: 16,
      default: 1,
    }),
  },
  {
    description:
      "Train with your own PyTorch script instead of model: data-parallel over worker pods with torch.distributed (gloo on CPU, NCCL on GPU), reading the DataSet, reporting progress, checkpointing and exporting ONNX through the liftoff Python package (docs/pytorch.md).",
  },
);

const RunPolicy = Obj(
  {
    backoffLimit: Type.Integer({
      description:
        "Retries of a failed training pod before the job fails (pytorch: restarts of the whole worker group).",
      minimum: 0,
      maximum: 100,
      default: 3,
    }),
    activeDeadlineSeconds: Type.Optional(
      Type.Integer({
        description: "Wall-clock limit of the training; the job fails past it.",
        minimum: 1,
        format: "int64",
      }),
    ),
    ttlSecondsAfterFinished: Type.Optional(
      Type.Integer({ description: "Delete the finished training pods this long after completion.", minimum: 0 }),
    ),
    suspend: Type.Boolean({
      description: "Pause the training (pods are removed; it resumes from the last checkpoint).",
      default: false,
    }),
  },
  { description: "How the training pods are run and retried." },
);

export const TrainingJobSpec = Obj(
  {
    dataSetRef: Obj(
      { name: LocalObjectReference.properties.name },
      {
        description: "The DataSet to train on (same namespace).",
        rules: [immutable("dataSetRef", "create a new TrainingJob to train on other data")],
      },
    ),
    task: StringEnum(TASKS, {
      description: "What the model predicts: a number, a yes/no, or one of several classes.",
      rules: [immutable("task", "create a new TrainingJob for another task")],
    }),
    model: Type.Optional(ModelDefinition),
    pytorch: Type.Optional(PyTorch),
    hyperparameters: Hyperparameters,
    resources: Type.Optional(ComputeResources),
    ...Scheduling,
    runPolicy: Type.Optional(RunPolicy),
    output: Type.Optional(
      Obj(
        {
          claimName: Type.Optional(VolumeLocation.properties.claimName),
          path: Type.Optional(VolumeLocation.properties.path),
          uri: Type.Optional(
            S3Uri(
              "s3://bucket/prefix where the model folder and the checkpoints go (instead of claimName and path).",
              "output.uri",
              "prefix",
            ),
          ),
        },
        {
          description:
            "Where the model artifact and the checkpoints go: claimName and path, or uri (s3://). Default: models/<name> next to the DataSet's versions (on its claim, or under its s3:// prefix).",
          rules: [
            {
              rule: "has(self.uri) ? !has(self.claimName) && !has(self.path) : has(self.claimName) && has(self.path)",
              message: "set output.uri (s3://bucket/prefix) or both output.claimName and output.path, not both",
            },
          ],
        },
      ),
    ),
    storage: Type.Optional(ObjectStorage),
    vaultRole: Type.Optional(
      Type.String({
        description:
          "Vault Kubernetes-auth role the training pod logs in with to unwrap an encrypted DataSet's data key (bound to service account <name>-train in this namespace, audience vault; it needs transit decrypt on the DataSet's key only). Default: liftoff-<namespace>-<name>-train.",
        minLength: 1,
        maxLength: 128,
        pattern: "^[A-Za-z0-9_.-]+$",
      }),
    ),
  },
  {
    description: "Desired state of a TrainingJob. Everything but runPolicy is fixed once created.",
    rules: [
      {
        rule: "has(self.model) != has(self.pytorch)",
        message: "set model (a TensorFlow.js network Liftoff builds) or pytorch (your own script), exactly one",
      },
      {
        rule: "has(self.model) == has(oldSelf.model) && (!has(self.model) || self.model == oldSelf.model)",
        message: "model is immutable; create a new TrainingJob to train another model",
      },
      {
        rule: "has(self.pytorch) == has(oldSelf.pytorch) && (!has(self.pytorch) || self.pytorch == oldSelf.pytorch)",
        message: "pytorch is immutable; create a new TrainingJob to run another script",
      },
      {
        rule: "!has(self.pytorch) || !has(self.hyperparameters.privacy)",
        message:
          "hyperparameters.privacy (DP-SGD) applies to model; a pytorch script adds its own (Opacus, say) and reports its ε",
      },
      {
        rule: "self.hyperparameters == oldSelf.hyperparameters",
        message: "hyperparameters are immutable; create a new TrainingJob to try others",
      },
      {
        rule: "has(self.vaultRole) == has(oldSelf.vaultRole) && (!has(self.vaultRole) || self.vaultRole == oldSelf.vaultRole)",
        message: "vaultRole is immutable; create a new TrainingJob to log in as another role",
      },
      {
        rule: "!has(self.hyperparameters.loss) || self.task != 'regression' || self.hyperparameters.loss in ['meanSquaredError', 'meanAbsoluteError', 'huberLoss']",
        message: "a regression task needs a regression loss: meanSquaredError, meanAbsoluteError or huberLoss",
      },
      {
        rule: "!has(self.hyperparameters.loss) || self.task == 'regression' || !(self.hyperparameters.loss in ['meanSquaredError', 'meanAbsoluteError', 'huberLoss'])",
        message: "a classification task needs a crossentropy loss",
      },
      {
        rule: "!has(self.hyperparameters.loss) || self.task != 'binary' || self.hyperparameters.loss == 'binaryCrossentropy'",
        message: "a binary task needs the binaryCrossentropy loss (or none, to get it by default)",
      },
      {
        rule: "!has(self.hyperparameters.loss) || self.task != 'multiclass' || self.hyperparameters.loss in ['categoricalCrossentropy', 'sparseCategoricalCrossentropy']",
        message: "a multiclass task needs sparseCategoricalCrossentropy or categoricalCrossentropy (or none)",
      },
      {
        rule: "!has(self.hyperparameters.privacy) || !has(self.model) || (has(self.model.layers) && self.model.layers.all(l, l.type in ['dense', 'dropout'] && (!has(l.activation) || l.activation in ['linear', 'relu', 'sigmoid', 'tanh'])))",
        message:
          "hyperparameters.privacy (DP-SGD) needs model.layers of dense (linear, relu, sigmoid or tanh) and dropout layers: per-example gradients are computed for those",
      },
      {
        rule: "!has(self.hyperparameters.privacy) || !has(self.hyperparameters.loss) || !(self.hyperparameters.loss in ['meanAbsoluteError', 'huberLoss'])",
        message: "hyperparameters.privacy (DP-SGD) takes a crossentropy or meanSquaredError loss",
      },
    ],
  },
);

const TrainingPhase = StringEnum(["Pending", "Running", "Succeeded", "Failed", "Suspended"] as const, {
  description: "Summary of the conditions, for display.",
});

export const TrainingJobStatus = Obj(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    conditions: Type.Optional(Conditions),
    phase: Type.Optional(TrainingPhase),
    startTime: Type.Optional(Type.String({ description: "When training started.", format: "date-time" })),
    completionTime: Type.Optional(Type.String({ description: "When training ended.", format: "date-time" })),
    progress: Type.Optional(
      Obj(
        {
          epoch: Type.Integer({ description: "Epochs completed.", minimum: 0 }),
          epochs: Type.Integer({ description: "Epochs planned.", minimum: 0 }),
          percentage: Type.Integer({ description: "Percent of epochs completed.", minimum: 0, maximum: 100 }),
          loss: Type.Optional(Type.Number({ description: "Training loss of the last epoch." })),
          shortLoss: Type.Optional(
            Type.String({ description: "loss to 4 significant digits, as the LOSS column shows it.", maxLength: 32 }),
          ),
          metrics: Type.Optional(NumberMap({ description: "Other metrics of the last epoch, e.g. val_loss." })),
          samplesPerSecond: Type.Optional(Type.Number({ description: "Training throughput." })),
          estimatedRemainingSeconds: Type.Optional(
            Type.Integer({ description: "Estimated time to finish; absent once training has ended." }),
          ),
          privacy: Type.Optional(
            Obj(
              {
                epsilon: Type.Number({ description: "ε spent so far (RDP accountant, at delta)." }),
                delta: Type.Number({ description: "The δ of the guarantee." }),
                noiseMultiplier: Type.Number({ description: "The noise multiplier used (given or derived)." }),
                steps: Type.Integer({ description: "Noisy steps taken so far.", minimum: 0 }),
              },
              { description: "DP-SGD: the privacy spent so far, updated with the loss." },
            ),
          ),
        },
        { description: "Live progress, updated each epoch." },
      ),
    ),
    history: Type.Optional(
      Obj(
        {
          stride: Type.Integer({
            description:
              "Every stride-th epoch is kept (1, 1+stride, 1+2·stride, …) plus the last one; it doubles each time the epochs outgrow 200 points.",
            minimum: 1,
          }),
          epochs: Type.Array(
            Obj(
              {
                epoch: Type.Integer({ description: "The epoch (1-based).", minimum: 1 }),
                loss: Type.Optional(Type.Number({ description: "Training loss of the epoch." })),
                metrics: NumberMap({ description: "Validation metrics of the epoch: val_loss, val_accuracy, …" }),
              },
              { description: "One epoch's loss and metrics." },
            ),
            { description: "The kept epochs, oldest first.", maxItems: 200 },
          ),
        },
        {
          description:
            "Loss and validation metrics per epoch (bounded: at most 200 points), written with status.progress; kubectl liftoff curves draws it. The model artifact's liftoff.json keeps every epoch.",
        },
      ),
    ),
    model: Type.Optional(
      Obj(
        {
          uri: Type.String({ description: "Where the trained model is stored.", maxLength: 2048 }),
          digest: Type.String({ description: "sha256 of the model artifact.", maxLength: 71 }),
          version: Type.String({
            description: "Version of the artifact (the job's uid and generation).",
            maxLength: 128,
          }),
          dataSetDigest: Type.Optional(
            Type.String({ description: "Digest of the data it was trained on.", maxLength: 71 }),
          ),
          format: Type.Optional(
            StringEnum(["tfjs-layers", "onnx"] as const, {
              description:
                "How the artifact is served (a ModelDeployment's model.format): tfjs-layers for model, onnx for pytorch. Absent on runs older than pytorch: tfjs-layers.",
            }),
          ),
        },
        { description: "The model artifact and its lineage." },
      ),
    ),
    finalMetrics: Type.Optional(NumberMap({ description: "Metrics on the test split after training." })),
    workers: Type.Optional(
      Obj(
        {
          attempt: Type.Integer({
            description: "The worker group's attempt (0 first; one more each time the group restarts).",
            minimum: 0,
          }),
          ready: Type.Integer({ description: "Workers of this attempt running.", minimum: 0 }),
          total: Type.Integer({ description: "Workers of the group (spec.pytorch.workers).", minimum: 1 }),
          masterAddress: Type.Optional(
            Type.String({ description: "Worker 0's pod IP: the torchrun rendezvous of this attempt.", maxLength: 64 }),
          ),
        },
        { description: "pytorch: the worker group of the current attempt." },
      ),
    ),
  },
  { description: "Observed state of a TrainingJob." },
);

export type TrainingJobSpec = Static<typeof TrainingJobSpec>;
export type TrainingJobStatus = Static<typeof TrainingJobStatus>;
