// The one catalogue of condition reasons and event reasons the operator writes (CamelCase, stable: users alert on them).
import { VaultReason } from "./contract/vault-reasons.js";

export const Reason = {
  // Ready=True
  Available: "Available",
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
  ProgressDeadlineExceeded: "ProgressDeadlineExceeded",
  ApplyFailed: "ApplyFailed",
  // Vault: the pods report these in their termination message, never a value (the contract's, shared with the runtime)
  ...VaultReason,
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
  // DataSet
  Preparing: "Preparing",
  Prepared: "Prepared",
  JobFailed: "JobFailed",
  ReportingDisabled: "ReportingDisabled",
  CleanupFailed: "CleanupFailed",
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
  InvalidSpec: "InvalidSpec",
  TrainingError: "TrainingError",
  // events
  ChildUpdated: "Updated",
  ChildDeleted: "Deleted",
} as const;

export type ReasonName = (typeof Reason)[keyof typeof Reason];

/** An expected failure that should surface as a condition rather than as a retried error. */
export class ReconcileFailure extends Error {
  override name = "ReconcileFailure";
  constructor(
    readonly reason: ReasonName,
    message: string,
    readonly stalled = false,
  ) {
    super(message);
  }
}
