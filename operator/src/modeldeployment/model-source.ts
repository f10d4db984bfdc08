// Resolves spec.model (a URI, or a TrainingJob's output) into what the runtime needs (pure).
import type { ModelDeploymentSpec, TrainingJob } from "../api/v1alpha1/index.js";
import { type ParsedModelUri, parseModelUri } from "../contract/model-uri.js";
import { isConditionTrue } from "../controller/conditions.js";
import { ConditionType, Reason, stalled, waiting } from "../reasons.js";

export interface ResolvedModel {
  uri: string;
  format: ModelDeploymentSpec["model"]["format"];
  digest?: string;
  /** The PVC to mount when the model lives on one. */
  claim?: string;
  /** spec.model's preprocessing and postprocessing, passed to the pod as JSON (LIFTOFF_MODEL_PROCESSING). */
  processing?: Pick<ModelDeploymentSpec["model"], "preprocessing" | "postprocessing">;
  /** tf-savedmodel: the tags and signature the runtime loads (runtime defaults when unset). */
  savedModel?: ModelDeploymentSpec["model"]["savedModel"];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Whether a serving pod can read the URI (the contract's parser, as the runtime uses it), and the claim it must mount:
 * pvc://<claim>/<path>, http(s):// or file:///, schemes in lower case, no whitespace. Undefined: not readable.
 */
function readableBy(parsed: ParsedModelUri): { claim?: string } | undefined {
  if (/\s/.test(parsed.uri) || !parsed.lowerCaseScheme) return undefined;
  const at = parsed.location;
  switch (at.kind) {
    case "pvc":
      return DNS_LABEL.test(at.claim) && at.path !== "" ? { claim: at.claim } : undefined;
    case "http":
      return at.rest !== "" ? {} : undefined;
    case "file":
      return at.rest.length > 1 && at.rest.startsWith("/") ? {} : undefined;
    default:
      return undefined;
  }
}

/** The claim a pod mounts for a pvc://<claim>/… URI (a baseline's, say), the claim being a DNS label; else undefined. */
export function pvcClaim(uri: string): string | undefined {
  const at = parseModelUri(uri).location;
  if (at.kind !== "pvc" || !DNS_LABEL.test(at.claim)) return undefined;
  return uri.startsWith(`pvc://${at.claim}/`) ? at.claim : undefined;
}

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
  const readable = readableBy(parseModelUri(uri));
  if (!readable) {
    throw stalled(
      Reason.UnsupportedModelURI,
      `the runtime cannot read model URI "${uri}": use pvc://<claim>/<path>, http(s):// or file:///`,
    );
  }
  const { preprocessing, postprocessing } = model;
  const processing = {
    ...(preprocessing ? { preprocessing } : {}),
    ...(postprocessing ? { postprocessing } : {}),
  };
  return {
    uri,
    format: model.format,
    ...(digest ? { digest } : {}),
    ...readable,
    ...(preprocessing || postprocessing ? { processing } : {}),
    ...(model.savedModel ? { savedModel: model.savedModel } : {}),
  };
}
