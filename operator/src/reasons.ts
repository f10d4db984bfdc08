// The one catalogue of condition types, condition reasons and event reasons the operator writes (CamelCase, stable:
// users alert on them). reasons.test.ts keeps it in step with the code and the docs.
import { EgressReason } from "./contract/egress.js";
import { ModelReason } from "./contract/model-reasons.js";
import { StorageReason } from "./contract/storage-reasons.js";
import { VaultReason } from "./contract/vault-reasons.js";

/**
 * Condition types. Ready, Reconciling and Stalled are kstatus's, on every kind; Ready is also the name Kubernetes
 * gives a Node's and a Pod's readiness, which the operator reads.
 */
export const ConditionType = {
  Ready: "Ready",
  Reconciling: "Reconciling",
  Stalled: "Stalled",
  // ModelDeployment
  ModelLoaded: "ModelLoaded",
  Drifted: "Drifted",
  Degraded: "Degraded",
  // ModelDeployment with spec.retrain: True while the closed loop's last run failed (docs/modeldeployment.md)
  LoopFailed: "LoopFailed",
  // TrainingJob (Running, Succeeded, Failed, Suspended) and DataSet (Progressing, Failed, Terminating while in use)
  Running: "Running",
  Succeeded: "Succeeded",
  Failed: "Failed",
  Suspended: "Suspended",
  Progressing: "Progressing",
  Terminating: "Terminating",
  // ErasureRequest: True once every version is rewritten and every retrain asked for has trained
  Complete: "Complete",
  // TrainingJob and ModelDeployment: True while a model trained on a version an ErasureRequest rewrote is in use
  ErasurePending: "ErasurePending",
} as const;

export const Reason = {
  // Ready=True
  Available: "Available",
  // Ready=True, but a GPU pod runs on the CPU (the contract's, pushed by the runtime)
  GPUFallback: ModelReason.GPUFallback,
  // waiting
  ModelNotReady: "ModelNotReady",
  RolloutInProgress: "RolloutInProgress",
  PodsStarting: "PodsStarting",
  ScaledToZero: "ScaledToZero",
  // failures
  CrashLoopBackOff: "CrashLoopBackOff",
  ContainerFailed: "ContainerFailed",
  ImagePullFailed: "ImagePullFailed",
  Unschedulable: "Unschedulable",
  InsufficientGPU: "InsufficientGPU",
  UnsupportedModelURI: "UnsupportedModelURI",
  // model.trainingJobRef names a run whose artifact is of another format (a pytorch run's ONNX, say)
  ModelFormatMismatch: "ModelFormatMismatch",
  // spec.capture: its DataSet (the columns) is missing, or the capture cannot be configured
  CaptureDataSetNotFound: "CaptureDataSetNotFound",
  CaptureInvalid: "CaptureInvalid",
  ProgressDeadlineExceeded: "ProgressDeadlineExceeded",
  ApplyFailed: "ApplyFailed",
  // spec.autoscaling: the metrics API (or KEDA) the metric needs is not served; scale to zero without the activator
  AutoscalingMetricsUnavailable: "AutoscalingMetricsUnavailable",
  ActivatorUnavailable: "ActivatorUnavailable",
  // Vault: the pods report these in their termination message, never a value (the contract's, shared with the runtime)
  ...VaultReason,
  // the egress guard refused an http(s) source, model or baseline URL (the contract's, shared with the runtime)
  ...EgressReason,
  // s3:// object storage: the pods name these first in their report or error line (the contract's, docs/storage.md)
  ...StorageReason,
  // the serving pod's model: too large for its memory limit (the contract's, shared with the runtime)
  ModelTooLarge: ModelReason.ModelTooLarge,
  // model
  ModelLoaded: "ModelLoaded",
  ModelLoading: "ModelLoading",
  // monitoring (Drifted, and Degraded from feedback)
  DriftDetected: "DriftDetected",
  NoDrift: "NoDrift",
  InsufficientData: "InsufficientData",
  MonitoringPending: "MonitoringPending",
  MonitoringUnavailable: "MonitoringUnavailable",
  BaselineUnavailable: "BaselineUnavailable",
  BaselineNotFound: "BaselineNotFound",
  BaselineNotReady: "BaselineNotReady",
  AccuracyBelowThreshold: "AccuracyBelowThreshold",
  F1BelowThreshold: "F1BelowThreshold",
  // The canary verdict (modeldeployment/loop/judge.ts): why it was promoted, rolled back, or is still waited on
  CanaryMoreAccurate: "CanaryMoreAccurate",
  CanaryNotWorse: "CanaryNotWorse",
  CanaryLessAccurate: "CanaryLessAccurate",
  CanaryErrorRate: "CanaryErrorRate",
  CanaryLatency: "CanaryLatency",
  NotEnoughFeedback: "NotEnoughFeedback",
  // DataSet
  Preparing: "Preparing",
  Prepared: "Prepared",
  JobFailed: "JobFailed",
  ReportingDisabled: "ReportingDisabled",
  CleanupFailed: "CleanupFailed",
  InUse: "InUse",
  CaptureSourceNotFound: "CaptureSourceNotFound",
  // TrainingJob (waiting, running, done)
  DataSetNotReady: "DataSetNotReady",
  Training: "Training",
  Suspended: "Suspended",
  Succeeded: "Succeeded",
  // TrainingJob failures
  NaNLoss: "NaNLoss",
  OutOfMemory: "OutOfMemory",
  DeadlineExceeded: "DeadlineExceeded",
  BackoffLimitExceeded: "BackoffLimitExceeded",
  DataSetChanged: "DataSetChanged",
  PrivacyBudgetUnreachable: "PrivacyBudgetUnreachable",
  InvalidSpec: "InvalidSpec",
  TrainingError: "TrainingError",
  // pytorch TrainingJobs: the gang check, a whole-group restart (an Event), the worker's own failures
  InsufficientCapacity: "InsufficientCapacity",
  GroupRestarted: "GroupRestarted",
  ScriptFailed: "ScriptFailed",
  WorkerLost: "WorkerLost",
  ExportInvalid: "ExportInvalid",
  // the closed loop (ModelDeployment spec.retrain): its stages as Event reasons, and LoopFailed's reasons
  Retraining: "Retraining",
  Canary: "Canary",
  PromotionCleared: "PromotionCleared",
  LoopHealthy: "LoopHealthy",
  RetrainTemplateNotFound: "RetrainTemplateNotFound",
  RetrainDataSetFailed: "RetrainDataSetFailed",
  RetrainTrainingJobFailed: "RetrainTrainingJobFailed",
  RetrainRemoved: "RetrainRemoved",
  RetrainTimedOut: "RetrainTimedOut",
  CanaryNotReady: "CanaryNotReady",
  // ErasureRequest (Complete) and the ErasurePending condition of TrainingJobs and ModelDeployments
  Erasing: "Erasing",
  Erased: "Erased",
  Incomplete: "Incomplete",
  SubjectKeyNotIndexed: "SubjectKeyNotIndexed",
  DataSetNotFound: "DataSetNotFound",
  ErasureRequested: "ErasureRequested",
  ErasureResolved: "ErasureResolved",
  // TrainingSearch (Ready, Stalled) and its Events; SearchNotFinished: a ModelDeployment naming a search waits for it
  Searching: "Searching",
  TooManyTrialsFailed: "TooManyTrialsFailed",
  NoTrialSucceeded: "NoTrialSucceeded",
  TrialCreated: "TrialCreated",
  TrialStoppedEarly: "TrialStoppedEarly",
  SearchNotFinished: "SearchNotFinished",
  // events
  ChildUpdated: "Updated",
  ChildDeleted: "Deleted",
} as const;

export type ReasonName = (typeof Reason)[keyof typeof Reason];

/**
 * An expected failure that should surface as a condition rather than as a retried error. Build one with `waiting`
 * (something it needs is on its way) or `stalled` (nothing changes until the user does), never with a flag.
 */
export class ReconcileFailure extends Error {
  override name = "ReconcileFailure";
  constructor(
    readonly reason: ReasonName,
    message: string,
    readonly kind: "waiting" | "stalled",
  ) {
    super(message);
  }

  /** kstatus Stalled: retrying cannot help until the spec or the cluster changes. */
  get stalled(): boolean {
    return this.kind === "stalled";
  }
}

/** Waiting on something that will come (a TrainingJob still training): Ready=False, Reconciling. */
export function waiting(reason: ReasonName, message: string): ReconcileFailure {
  return new ReconcileFailure(reason, message, "waiting");
}

/** Stuck until the user acts (an unreadable URI, a refused child): Ready=False and Stalled=True. */
export function stalled(reason: ReasonName, message: string): ReconcileFailure {
  return new ReconcileFailure(reason, message, "stalled");
}
