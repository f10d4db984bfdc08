// The models a ModelDeployment serves once its loop has a say (pure): stable is the promoted model while spec.model is
// the one it was promoted over, canary is the loop's candidate while it is judged. The result is an in-memory view for
// the existing desired/status code; the object itself (spec, metadata) is never written.
import { createHash } from "node:crypto";
import type { ModelDeployment } from "../../api/v1alpha1/index.js";
import { stableStringify } from "../../util/stable-json.js";
import { loopPolicy } from "./policy.js";

type ModelSpec = ModelDeployment["spec"]["model"];

/** Fingerprint of spec.model: a promotion stands only while spec.model is what it was promoted over. */
export function specModelFingerprint(mdep: ModelDeployment): string {
  return `sha256:${createHash("sha256").update(stableStringify(mdep.spec.model)).digest("hex").slice(0, 32)}`;
}

/** The promotion that is in force: recorded, and spec.model unchanged since. */
function promotionInForce(mdep: ModelDeployment) {
  const promoted = mdep.status?.loop?.promoted;
  return promoted && promoted.specModel === specModelFingerprint(mdep) ? promoted : undefined;
}

/**
 * A loop model as spec.model would name it: a TrainingJob's output (TF.js layers) with spec.model's pre- and
 * postprocessing; by its URI and digest when the TrainingJob is gone.
 */
function loopModel(base: ModelSpec, trainingJob: string, exists: boolean, uri?: string, digest?: string): ModelSpec {
  const { preprocessing, postprocessing } = base;
  return {
    format: "tfjs-layers",
    ...(exists || !uri ? { trainingJobRef: { name: trainingJob } } : { uri, ...(digest ? { digest } : {}) }),
    ...(preprocessing ? { preprocessing } : {}),
    ...(postprocessing ? { postprocessing } : {}),
  };
}

/** Whether the loop, not a person, supplies the canary now. */
function loopCanaryActive(mdep: ModelDeployment): boolean {
  const loop = mdep.status?.loop;
  return Boolean(mdep.spec.retrain && !mdep.spec.canary && loop?.stage === "Canary" && loop.trainingJob);
}

/** The ModelDeployment as the serving code should see it: promoted stable, loop canary. Unchanged when neither. */
export function effectiveModelDeployment(
  mdep: ModelDeployment,
  trainingJobExists: (name: string) => boolean,
): ModelDeployment {
  const promoted = promotionInForce(mdep);
  const canary = loopCanaryActive(mdep);
  if (!promoted && !canary) return mdep;
  const out = structuredClone(mdep);
  if (promoted) {
    out.spec.model = loopModel(
      mdep.spec.model,
      promoted.trainingJob,
      trainingJobExists(promoted.trainingJob),
      promoted.uri,
      promoted.digest,
    );
  }
  const loop = mdep.status?.loop;
  if (canary && loop?.trainingJob && mdep.spec.retrain) {
    out.spec.canary = {
      model: loopModel(mdep.spec.model, loop.trainingJob, true),
      trafficPercent: loopPolicy(mdep.spec.retrain).trafficPercent,
    };
  }
  return out;
}
