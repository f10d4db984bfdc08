// Resolves spec.model (a URI, or a TrainingJob's output) into what the runtime needs (pure).
import type { DataSet, ModelDeploymentSpec, TrainingJob } from "../api/v1alpha1/index.js";
import { type ParsedModelUri, parseModelUri } from "../contract/model-uri.js";
import type { ObjectStorageSpec } from "../contract/storage.js";
import { isConditionTrue } from "../controller/conditions.js";
import { ConditionType, Reason, stalled, waiting } from "../reasons.js";

export interface ResolvedModel {
  uri: string;
  format: ModelDeploymentSpec["model"]["format"];
  digest?: string;
  /** A gguf model's llama.cpp settings (spec.model.llm). */
  llm?: NonNullable<ModelDeploymentSpec["model"]["llm"]>;
  /** The PVC to mount when the model lives on one. */
  claim?: string;
  /** How the pod reaches an s3:// model (spec.storage, else its TrainingJob's); the pod gets storagePodEnv of it. */
  storage?: ObjectStorageSpec;
  /** spec.model's preprocessing and postprocessing, passed to the pod as JSON (LIFTOFF_MODEL_PROCESSING). */
  processing?: Pick<ModelDeploymentSpec["model"], "preprocessing" | "postprocessing">;
  /** tf-savedmodel: the tags and signature the runtime loads (runtime defaults when unset). */
  savedModel?: ModelDeploymentSpec["model"]["savedModel"];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** An S3 bucket name as the CRD's pattern takes it. */
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * How the TrainingJob reached the bucket it wrote its model to: its spec.storage, else its DataSet's (a TrainingJob
 * without one trains and publishes with its s3:// DataSet's settings, operator/src/trainingjob/desired.ts).
 */
function trainingJobStorage(
  tj: TrainingJob,
  getDataSet: (name: string) => DataSet | undefined,
): ObjectStorageSpec | undefined {
  if (tj.spec?.storage) return tj.spec.storage;
  const dataSet = tj.spec?.dataSetRef?.name;
  return dataSet === undefined ? undefined : getDataSet(dataSet)?.spec.storage;
}

/**
 * Whether a serving pod can read the URI (the contract's parser, as the runtime uses it), and the claim it must mount:
 * pvc://<claim>/<path>, http(s)://, file:/// or s3://<bucket>/<key> (nothing mounted: the pod downloads it), schemes in
 * lower case, no whitespace. Undefined: not readable.
 */
function readableBy(parsed: ParsedModelUri): { claim?: string; s3?: true } | undefined {
  if (/\s/.test(parsed.uri) || !parsed.lowerCaseScheme) return undefined;
  const at = parsed.location;
  switch (at.kind) {
    case "pvc":
      return DNS_LABEL.test(at.claim) && at.path !== "" ? { claim: at.claim } : undefined;
    case "http":
      return at.rest !== "" ? {} : undefined;
    case "file":
      return at.rest.length > 1 && at.rest.startsWith("/") ? {} : undefined;
    case "s3":
      return S3_BUCKET.test(at.bucket) && at.key !== "" ? { s3: true } : undefined;
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
  /** The ModelDeployment's spec.storage: how its pods reach an s3:// model. */
  storage?: ObjectStorageSpec,
  /** The namespace's DataSets: a TrainingJob without spec.storage reached its bucket with its DataSet's. */
  getDataSet: (name: string) => DataSet | undefined = () => undefined,
): ResolvedModel {
  let uri = model.uri;
  let digest = model.digest;
  let modelStorage = storage;
  // search-source.ts put a finished search's best trial in trainingJobRef; without one the search has no model yet.
  if (model.trainingSearchRef && !model.trainingJobRef) {
    throw waiting(
      Reason.SearchNotFinished,
      `TrainingSearch ${model.trainingSearchRef.name} has no model yet; waiting for the search to succeed`,
    );
  }
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
    // The artifact says how it is served (a pytorch run's is ONNX); a format that cannot read it would crash-loop.
    const made = tj.status.model.format ?? "tfjs-layers";
    if ((made === "onnx") !== (model.format === "onnx")) {
      throw stalled(
        Reason.ModelFormatMismatch,
        `TrainingJob ${name} made a ${made} model but model.format is ${model.format}; set model.format: ${made}`,
      );
    }
    uri = tj.status.model.uri;
    digest ??= tj.status.model.digest;
    // The bucket the TrainingJob wrote to is reached as the TrainingJob reached it, unless this object says otherwise.
    modelStorage ??= trainingJobStorage(tj, getDataSet);
  }
  if (!uri) throw stalled(Reason.UnsupportedModelURI, "model has neither uri nor trainingJobRef");
  const readable = readableBy(parseModelUri(uri));
  if (!readable) {
    throw stalled(
      Reason.UnsupportedModelURI,
      `the runtime cannot read model URI "${uri}": use pvc://<claim>/<path>, http(s)://, file:/// or s3://<bucket>/<key>`,
    );
  }
  const { preprocessing, postprocessing } = model;
  const processing = {
    ...(preprocessing ? { preprocessing } : {}),
    ...(postprocessing ? { postprocessing } : {}),
  };
  const { s3, ...mount } = readable;
  return {
    uri,
    format: model.format,
    ...(digest ? { digest } : {}),
    ...(model.llm ? { llm: model.llm } : {}),
    ...mount,
    // An s3:// model without spec.storage still works: the pod uses its own AWS credential chain and AWS S3.
    ...(s3 && modelStorage ? { storage: modelStorage } : {}),
    ...(preprocessing || postprocessing ? { processing } : {}),
    ...(model.savedModel ? { savedModel: model.savedModel } : {}),
  };
}
