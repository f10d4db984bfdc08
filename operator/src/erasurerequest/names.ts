// Names and labels of what an ErasureRequest owns (pure): its erase Job (one per request, so an operator restart
// finds it instead of running a second rewrite) and its retrains.
import { createHash } from "node:crypto";
import { MANAGED_BY } from "../children/labels.js";

export const LABEL_ERASURE = "liftoff.dev/erasurerequest";
/** On a retrain: the TrainingJob it retrains (a ModelDeployment serving that one rolls the retrain out). */
export const ANNOTATION_RETRAIN_OF = "liftoff.dev/retrain-of";

function withSuffix(name: string, suffix: string): string {
  const full = `${name}-${suffix}`;
  if (full.length <= 63) return full;
  const h = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, 63 - suffix.length - 10)}-${h}-${suffix}`;
}

export const erasureNames = (name: string) => ({
  job: withSuffix(name, "erase"),
  /** The retrain of a TrainingJob on the rewritten version: one per request and TrainingJob. */
  retrain: (trainingJob: string) => {
    const h = createHash("sha256").update(`${name}/${trainingJob}`).digest("hex").slice(0, 6);
    return withSuffix(trainingJob.slice(0, 40), `erased-${h}`);
  },
});

export function erasureLabels(name: string): Record<string, string> {
  return { "app.kubernetes.io/name": "liftoff-erase", ...MANAGED_BY, [LABEL_ERASURE]: name.slice(0, 63) };
}
