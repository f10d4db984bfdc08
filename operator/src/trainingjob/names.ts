// Names, labels and annotations of what a TrainingJob owns (pure).
import { MANAGED_BY } from "../children/labels.js";

export const LABEL_TJ = "liftoff.dev/trainingjob";
/** The DataSet version (sha256:<hex>) a training Job was pinned to when it was created. */
export const ANNOTATION_DATASET_DIGEST = "liftoff.dev/dataset-digest";
export const CONTAINER = "train";
export const PVC_ROOT = "/mnt/pvc";

export const trainingNames = (name: string) => ({
  serviceAccount: `${name}-train`,
  job: `${name}-train`,
});

export function trainingLabels(name: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "liftoff-runtime",
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/component": "trainer",
    ...MANAGED_BY,
    [LABEL_TJ]: name,
  };
}
