// Resolves spec.model (a URI, or a TrainingJob's output) into what the runtime needs (pure).
import type { ModelDeploymentSpec, TrainingJob } from "../api/v1alpha1/index.js";
import { isConditionTrue } from "../controller/conditions.js";
import { ConditionType, Reason, stalled, waiting } from "../reasons.js";

export interface ResolvedModel {
  uri: string;
  format: "tfjs-layers" | "tfjs-graph";
  digest?: string;
  /** The PVC to mount when the model lives on one. */
  claim?: string;
}

const READABLE = /^(pvc:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/\S+|https?:\/\/\S+|file:\/\/\/\S+)$/;

export function resolveModel(
  model: ModelDeploymentSpec["model"],
  getTrainingJob: (name: string) => TrainingJob | undefined,
): ResolvedModel {
  let uri = model.uri;
  let digest = model.digest;
  if (model.trainingJobRef) {
    const name = model.trainingJobRef.name;
    const tj = getTrainingJob(name);
    if (!tj)
      throw waiting(Reason.ModelNotReady, `TrainingJob ${name} not found; create it or fix model.trainingJobRef`);
    const succeeded = isConditionTrue(tj.status?.conditions, ConditionType.Succeeded);
    if (!succeeded || !tj.status?.model?.uri) {
      const phase = tj.status?.phase ?? "Pending";
      throw waiting(
        Reason.ModelNotReady,
        `TrainingJob ${name} has not succeeded yet (phase ${phase}); waiting for its model`,
      );
    }
    uri = tj.status.model.uri;
    digest ??= tj.status.model.digest;
  }
  if (!uri) throw stalled(Reason.UnsupportedModelURI, "model has neither uri nor trainingJobRef");
  const m = READABLE.exec(uri);
  if (!m) {
    throw stalled(
      Reason.UnsupportedModelURI,
      `the runtime cannot read model URI "${uri}": use pvc://<claim>/<path>, http(s):// or file:///`,
    );
  }
  return { uri, format: model.format, ...(digest ? { digest } : {}), ...(m[2] ? { claim: m[2] } : {}) };
}
