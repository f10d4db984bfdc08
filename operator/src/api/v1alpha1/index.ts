// The liftoff.dev/v1alpha1 API: schemas, static types and CRD definitions of its kinds.
import type { ObjectMeta } from "../../kube/types.js";
import type { KindDefinition } from "../crd.js";
import { DataSetSpec, DataSetStatus } from "./dataset.js";
import { ErasureRequestSpec, ErasureRequestStatus } from "./erasurerequest.js";
import { ModelDeploymentSpec, ModelDeploymentStatus } from "./modeldeployment.js";
import { TrainingJobSpec, TrainingJobStatus } from "./trainingjob.js";
import { TrainingSearchSpec, TrainingSearchStatus } from "./trainingsearch.js";

export * from "./common.js";
export * from "./dataset.js";
export * from "./erasurerequest.js";
export * from "./modeldeployment.js";
export * from "./trainingjob.js";
export * from "./trainingsearch.js";

const readyColumn = {
  name: "Ready",
  type: "string",
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: "Whether the resource is ready.",
} as const;

const DataSetKind: KindDefinition<DataSet> = {
  kind: "DataSet",
  plural: "datasets",
  singular: "dataset",
  shortNames: ["dset"],
  description:
    "A DataSet collects, cleans, normalises, splits, stores and encrypts training data, and publishes its statistics.",
  spec: DataSetSpec,
  status: DataSetStatus,
  printerColumns: [
    readyColumn,
    { name: "Rows", type: "integer", jsonPath: ".status.rows.total", description: "Rows kept after cleaning." },
    {
      name: "Version",
      type: "string",
      jsonPath: ".status.version",
      description: "Short digest of the processed data.",
    },
  ],
};

const TrainingJobKind: KindDefinition<TrainingJob> = {
  kind: "TrainingJob",
  plural: "trainingjobs",
  singular: "trainingjob",
  shortNames: ["tj"],
  description:
    "A TrainingJob trains a TensorFlow.js model by gradient descent on a DataSet and publishes a versioned model artifact.",
  spec: TrainingJobSpec,
  status: TrainingJobStatus,
  printerColumns: [
    {
      name: "Status",
      type: "string",
      jsonPath: ".status.phase",
      description: "Pending, Running, Succeeded, Failed or Suspended.",
    },
    {
      name: "Progress",
      type: "integer",
      jsonPath: ".status.progress.percentage",
      description: "Percent of epochs completed.",
    },
    {
      name: "Loss",
      type: "string",
      jsonPath: ".status.progress.shortLoss",
      description: "Training loss of the last epoch, to 4 significant digits.",
    },
    {
      name: "ETA",
      type: "integer",
      jsonPath: ".status.progress.estimatedRemainingSeconds",
      description: "Estimated seconds until training ends (none once it has ended).",
    },
    {
      name: "Exact Loss",
      type: "number",
      jsonPath: ".status.progress.loss",
      description: "Training loss of the last epoch, in full.",
      priority: 1,
    },
    {
      name: "Epsilon",
      type: "number",
      jsonPath: ".status.progress.privacy.epsilon",
      description: "DP-SGD: the ε spent so far (at status.progress.privacy.delta).",
      priority: 1,
    },
  ],
};

export const ModelDeploymentKind: KindDefinition<ModelDeployment> = {
  kind: "ModelDeployment",
  plural: "modeldeployments",
  singular: "modeldeployment",
  shortNames: ["mdep"],
  description:
    "A ModelDeployment serves a model over the KServe V1 and Open Inference V2 protocols, with batching, autoscaling and canaries.",
  spec: ModelDeploymentSpec,
  status: ModelDeploymentStatus,
  printerColumns: [
    readyColumn,
    {
      name: "Replicas",
      type: "integer",
      jsonPath: ".status.readyReplicas",
      description: "Serving pods that are ready.",
    },
    {
      name: "Scale",
      type: "string",
      jsonPath: ".status.autoscaling.summary",
      description:
        "Autoscaling: current/desired replicas and the metric against its target (2/3 conc 7.5/10, 0/0 idle).",
    },
    {
      name: "Model",
      type: "string",
      jsonPath: ".status.model.summary",
      description: "The served model: its TrainingJob, else its short digest.",
    },
    {
      name: "Format",
      type: "string",
      jsonPath: ".spec.model.format",
      description: "The model's format (tfjs-layers, tfjs-graph, onnx, gguf).",
    },
    { name: "URL", type: "string", jsonPath: ".status.url", description: "In-cluster URL of the inference endpoint." },
    {
      name: "Model URI",
      type: "string",
      jsonPath: ".status.model.uri",
      description: "Where the served model comes from.",
      priority: 1,
    },
    {
      name: "Drift",
      type: "number",
      jsonPath: ".status.monitoring.drift.score",
      description: "Largest PSI of any feature or of the prediction in the window.",
    },
    {
      name: "Accuracy",
      type: "number",
      jsonPath: ".status.monitoring.quality.accuracy",
      description: "Live accuracy from feedback in the window.",
    },
    {
      name: "Tokens/s",
      type: "number",
      jsonPath: ".status.llm.tokensPerSecond",
      description: "A language model's generated tokens per second over the last minute, all stable pods together.",
    },
    {
      name: "Loop",
      type: "string",
      jsonPath: ".status.loop.stage",
      description:
        "The closed loop's stage (spec.retrain): Watching, Retraining, Canary, Promoted, RolledBack or Failed.",
    },
  ],
  scale: {
    specReplicasPath: ".spec.replicas",
    statusReplicasPath: ".status.replicas",
    labelSelectorPath: ".status.selector",
  },
};

const ErasureRequestKind: KindDefinition<ErasureRequest> = {
  kind: "ErasureRequest",
  plural: "erasurerequests",
  singular: "erasurerequest",
  shortNames: ["erasure"],
  description:
    "An ErasureRequest erases data subjects' rows from a DataSet's versions and flags (or retrains) the models trained on them; its status is the record.",
  spec: ErasureRequestSpec,
  status: ErasureRequestStatus,
  printerColumns: [
    { name: "DataSet", type: "string", jsonPath: ".spec.dataSetRef.name", description: "The DataSet erased from." },
    { name: "Found", type: "integer", jsonPath: ".status.rowsFound", description: "Rows of the subjects found." },
    {
      name: "Rewritten",
      type: "integer",
      jsonPath: ".status.versionsRewritten",
      description: "Versions rewritten without them.",
    },
    {
      name: "Complete",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="Complete")].status',
      description: "Whether the erasure is complete (data rewritten, models retrained where asked).",
    },
    {
      name: "Reason",
      type: "string",
      jsonPath: '.status.conditions[?(@.type=="Complete")].reason',
      description: "Erased, Erasing, Incomplete …",
      priority: 1,
    },
  ],
};

const TrainingSearchKind: KindDefinition<TrainingSearch> = {
  kind: "TrainingSearch",
  plural: "trainingsearches",
  singular: "trainingsearch",
  shortNames: ["tsearch"],
  description:
    "A TrainingSearch tunes a TrainingJob's hyperparameters: trials as TrainingJobs, at most parallelism at a time, losers stopped early, the best model its artifact.",
  spec: TrainingSearchSpec,
  status: TrainingSearchStatus,
  printerColumns: [
    { name: "Status", type: "string", jsonPath: ".status.phase", description: "Running, Succeeded or Failed." },
    { name: "Running", type: "integer", jsonPath: ".status.trials.running", description: "Trials running now." },
    {
      name: "Stopped",
      type: "integer",
      jsonPath: ".status.trials.stoppedEarly",
      description: "Trials stopped early.",
    },
    { name: "Done", type: "integer", jsonPath: ".status.trials.succeeded", description: "Trials that ran to the end." },
    { name: "Failed", type: "integer", jsonPath: ".status.trials.failed", description: "Trials that failed." },
    { name: "Metric", type: "string", jsonPath: ".spec.objective.metric", description: "The objective's metric." },
    {
      name: "Best",
      type: "string",
      jsonPath: ".status.best.shortObjective",
      description: "The best objective so far, to 4 significant digits.",
    },
    { name: "Best Trial", type: "string", jsonPath: ".status.best.trial", description: "The best trial so far." },
    {
      name: "Epochs",
      type: "integer",
      jsonPath: ".status.epochsTrained",
      description: "Epochs run by all trials together.",
      priority: 1,
    },
  ],
};

/**
 * Every kind of the API, by kind: `npm run gen` writes a CRD for each, the resource table (kube/resources.ts) has an
 * entry for each, and the controller registry (operator/src/kinds.ts) must register each.
 */
export const KIND_DEFINITIONS = {
  DataSet: DataSetKind,
  TrainingJob: TrainingJobKind,
  ModelDeployment: ModelDeploymentKind,
  ErasureRequest: ErasureRequestKind,
  TrainingSearch: TrainingSearchKind,
} as const;

export type LiftoffKind = keyof typeof KIND_DEFINITIONS;

export const ALL_KINDS: readonly KindDefinition[] = Object.values(KIND_DEFINITIONS);

/** A Liftoff custom resource as read from the API server. */
interface LiftoffObject<Spec, Status> {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: Spec;
  status?: Status;
}
export type DataSet = LiftoffObject<DataSetSpec, DataSetStatus>;
export type TrainingJob = LiftoffObject<TrainingJobSpec, TrainingJobStatus>;
export type ModelDeployment = LiftoffObject<ModelDeploymentSpec, ModelDeploymentStatus>;
export type ErasureRequest = LiftoffObject<ErasureRequestSpec, ErasureRequestStatus>;
export type TrainingSearch = LiftoffObject<TrainingSearchSpec, TrainingSearchStatus>;
