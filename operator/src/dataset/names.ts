// Names and labels of the objects a DataSet owns (pure). Job names carry the generation, so a new spec is a new
// Job and an old Job's late report can be told apart; long names are cut and suffixed with a hash to stay ≤ 63.
import { createHash } from "node:crypto";
import { MANAGED_BY } from "../children/labels.js";

export const LABEL_DATASET = "liftoff.dev/dataset";
export const ANNOTATION_GENERATION = "liftoff.dev/generation";
export const FINALIZER = "liftoff.dev/dataset-versions";
export const CONTAINER = "prepare";

function withSuffix(name: string, suffix: string): string {
  const full = `${name}-${suffix}`;
  if (full.length <= 63) return full;
  const h = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, 63 - suffix.length - 10)}-${h}-${suffix}`;
}

export const dataSetNames = (name: string) => ({
  serviceAccount: withSuffix(name, "dataset"),
  prepareJob: (generation: number) => withSuffix(name, `prepare-g${generation}`),
  cleanupJob: withSuffix(name, "cleanup"),
  /** Named by the versions it drops: a restarted operator finds the same Job instead of running a second one. */
  pruneJob: (versions: readonly string[]) =>
    withSuffix(
      name,
      `prune-${createHash("sha256")
        .update([...versions].sort().join(","))
        .digest("hex")
        .slice(0, 10)}`,
    ),
});

/** Whether a Job (of a DataSet: its label and owner say which) is a prune Job. */
export const isPruneJob = (job: string) => /-prune-[0-9a-f]{10}$/.test(job);

export function dataSetLabels(name: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "liftoff-prepare",
    "app.kubernetes.io/instance": name.slice(0, 63),
    ...MANAGED_BY,
    [LABEL_DATASET]: name.slice(0, 63),
  };
}
