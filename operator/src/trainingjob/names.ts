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

/** pytorch: a worker pod's index in its group (torchrun --node-rank). */
export const LABEL_WORKER = "liftoff.dev/worker-index";
/** pytorch: the group attempt a worker pod belongs to (0 first, one more per whole-group restart). */
export const LABEL_ATTEMPT = "liftoff.dev/group-attempt";

/** pytorch: worker `index` of attempt `attempt` (a new name per attempt: the old pods stay for their logs). */
export const workerPodName = (name: string, attempt: number, index: number) => `${name}-g${attempt}-w${index}`;
