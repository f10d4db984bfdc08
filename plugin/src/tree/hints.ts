// What to do about a failing node's reason: one short hint per reason the operator writes (operator/src/reasons.ts)
// or the kubelet reports, taken from docs/trainingjob.md, docs/modeldeployment.md, docs/dataset.md and docs/loop.md, and
// the TrainingSearch's conditions.
// Pure; a reason without a hint gets a generic one that names the command showing more.

const HINTS: Readonly<Record<string, string>> = {
  // TrainingJob
  DataSetNotReady: "the TrainingJob waits for its DataSet: fix the DataSet above (or create it) and it starts",
  NaNLoss: "the loss became NaN: lower hyperparameters.learningRate (docs/trainingjob.md)",
  OutOfMemory: "the pod ran out of memory: raise resources.memory or lower hyperparameters.batchSize",
  DeadlineExceeded: "training took longer than its deadline: raise it or train fewer epochs",
  BackoffLimitExceeded: "every retry failed: kubectl logs on the job's pod shows why",
  DataSetChanged: "the DataSet's data changed under the job: create a new TrainingJob on the new version",
  InvalidSpec: "the spec cannot be trained as written: fix the field the message names",
  TrainingError: "training failed: the message has the pod's last words; kubectl logs shows more",
  // TrainingSearch (and a ModelDeployment serving one)
  TooManyTrialsFailed: "more trials failed than spec.maxFailedTrials allows: the failed trials below say why",
  NoTrialSucceeded: "no trial ran to its end: see the trials below, and kubectl liftoff curves tsearch/<name>",
  SearchNotFinished:
    "it serves the search's best model once the search has succeeded: kubectl liftoff tree shows the trials",
  // ModelDeployment
  ModelNotReady: "the model is not trained yet: it serves once its TrainingJob succeeds",
  CrashLoopBackOff: "a serving container crash-loops: kubectl logs -l liftoff.dev/modeldeployment=<name> --previous",
  ContainerFailed: "a serving container exited with an error: see status.lastFailure and kubectl logs --previous",
  ImagePullFailed: "the runtime image cannot be pulled: check the operator's --runtime-image and the registry",
  ImagePullBackOff: "the image cannot be pulled: check its name and the registry",
  ErrImagePull: "the image cannot be pulled: check its name and the registry",
  Unschedulable: "no node fits the pod: lower resources, or fix nodeSelector/tolerations",
  InsufficientGPU: "no node has that many GPUs: lower resources.gpu",
  UnsupportedModelURI:
    "the runtime cannot read that model URI: use pvc://, s3:// or http(s):// (docs/modeldeployment.md)",
  ModelTooLarge: "the model does not fit resources.memory: raise it (docs/modeldeployment.md, Large models)",
  ProgressDeadlineExceeded: "the rollout stalled: kubectl describe the Deployment and its pods",
  CaptureDataSetNotFound: "create the DataSet whose columns spec.capture follows",
  CaptureInvalid: "fix spec.capture as the message says (docs/modeldeployment.md, Capture)",
  EgressRefused: "the egress policy refuses that address: allow it with the operator's --egress-allow",
  DriftDetected: "live inputs drifted from the training data: kubectl liftoff drift mdep/<name>, then retrain",
  AccuracyBelowThreshold: "live accuracy fell below the alert: retrain on fresh data (kubectl liftoff retrain)",
  F1BelowThreshold: "live macro-F1 fell below the alert: retrain on fresh data (kubectl liftoff retrain)",
  BaselineNotReady: "the drift baseline's DataSet is not Ready yet",
  BaselineNotFound: "the drift baseline cannot be found: check spec.monitoring.drift",
  // closed loop
  RetrainDataSetFailed: "the loop's DataSet failed: see dataset/<name>-loop-<n> below",
  RetrainTrainingJobFailed: "the loop's TrainingJob failed: see trainingjob/<name>-loop-<n> below",
  RetrainTemplateNotFound: "the DataSet or TrainingJob the loop copies is missing: fix spec.retrain.*.from",
  RetrainTimedOut: "retraining took too long: raise spec.retrain.limits.retrainTimeoutMinutes",
  CanaryNotReady: "the candidate had no ready pod in time: check its pods' logs",
  // DataSet
  JobFailed: "the prepare job failed: the message has its last words; kubectl logs shows more",
  CaptureSourceNotFound: "the ModelDeployment named in source.captured does not exist",
  // storage and Vault (the contract's reasons)
  StorageNotFound: "the s3:// object does not exist: check the URI (docs/storage.md)",
  StorageAccessDenied: "the S3 keys may not read it: check spec.storage.credentials (docs/storage.md)",
  StorageUnreachable: "the S3 endpoint does not answer: check spec.storage.endpoint",
  StorageDigestMismatch: "the object's digest differs from the one pinned: retrain or fix the digest",
  NotFound: "create it, or fix the reference that names it",
};

/** The hint for a reason; undefined when the state needs none (Ready, or waiting on nothing in particular). */
export function hintFor(reason: string | undefined, kind: string, name: string): string | undefined {
  if (!reason) return undefined;
  const h = HINTS[reason];
  if (h) return h.replaceAll("<name>", name);
  return `kubectl describe ${kind.toLowerCase()}/${name} shows the conditions and events`;
}
