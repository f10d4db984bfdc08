// In-use protection for DataSets (pure), as Kubernetes' kubernetes.io/pvc-protection keeps a claim while a pod
// mounts it: a DataSet being deleted keeps its finalizer, its versions and its status while a TrainingJob trains or
// trained on it, or a ModelDeployment reads it as its drift baseline, and says who in a Terminating condition; and a
// new generation's prepare keeps the versions they use beyond spec.retainVersions.
import type { DataSet, DataSetStatus, ModelDeployment, TrainingJob } from "../api/v1alpha1/index.js";
import { type Condition, findCondition, removeCondition, setCondition } from "../controller/conditions.js";
import { ConditionType, Reason } from "../reasons.js";

/** Ready reasons of a TrainingJob that never started because of its DataSet or this operator's flags. */
const NEVER_STARTED = new Set<string>([Reason.DataSetNotReady, Reason.VaultUnreachable]);

/**
 * Whether a TrainingJob on this DataSet needs its data: while it runs, and after it succeeded (the model's lineage
 * names the version it read). Not when it failed, nor while it waits without having started.
 */
function trainsOn(tj: TrainingJob): boolean {
  const phase = tj.status?.phase;
  if (phase === "Failed") return false;
  const ready = findCondition(tj.status?.conditions, ConditionType.Ready);
  return !(phase === "Pending" && !tj.status?.startTime && ready && NEVER_STARTED.has(ready.reason));
}

/** Who still uses the DataSet, as "<Kind> <name>", sorted; empty when it may go. */
export function usersOf(
  ds: DataSet,
  trainingJobs: readonly TrainingJob[],
  modelDeployments: readonly ModelDeployment[],
): string[] {
  const { namespace, name } = ds.metadata ?? {};
  const here = (o: { metadata?: { namespace?: string } }) => o.metadata?.namespace === namespace;
  const training = trainingJobs
    .filter((t) => here(t) && t.spec.dataSetRef.name === name && trainsOn(t))
    .map((t) => `TrainingJob ${t.metadata?.name}`);
  const serving = modelDeployments
    .filter((m) => here(m) && m.spec.monitoring?.drift?.baselineDataSetRef?.name === name)
    .map((m) => `ModelDeployment ${m.metadata?.name}`);
  return [...training.sort(), ...serving.sort()];
}

/**
 * The versions (hex digests) a new generation's prepare must not prune, whatever spec.retainVersions says: each
 * one a succeeded TrainingJob trained on (its model names it), and the current one while anything else uses it (a
 * running TrainingJob was pinned to it; a drift baseline reads it until its pods move to the new one).
 */
export function versionsInUse(
  ds: DataSet,
  trainingJobs: readonly TrainingJob[],
  modelDeployments: readonly ModelDeployment[],
): string[] {
  const { namespace, name } = ds.metadata ?? {};
  const mine = trainingJobs.filter(
    (t) => t.metadata?.namespace === namespace && t.spec.dataSetRef.name === name && trainsOn(t),
  );
  const trained = mine.flatMap((t) => (t.status?.phase === "Succeeded" ? [t.status.model?.dataSetDigest] : []));
  const current = mine.some((t) => t.status?.phase !== "Succeeded") || usersOf(ds, [], modelDeployments).length > 0;
  const digests = [...trained, ...(current ? [ds.status?.digest] : [])];
  const hex = digests.flatMap((d) => (d?.startsWith("sha256:") ? [d.slice("sha256:".length)] : []));
  return [...new Set(hex)].sort();
}

/** Users named in a message: the first five, then how many more. */
function named(users: readonly string[]): string {
  const shown = users.slice(0, 5).join(", ");
  return users.length > 5 ? `${shown} and ${users.length - 5} more` : shown;
}

/**
 * The status of a DataSet being deleted: Terminating=True naming its users while it has any; without users the
 * condition goes (the cleanup Job then removes its versions and the object).
 */
export function terminatingStatus(ds: DataSet, users: readonly string[], now: () => string): DataSetStatus {
  const prev = ds.status ?? {};
  const conditions = prev.conditions as Condition[] | undefined;
  if (users.length === 0) {
    if (!findCondition(conditions, ConditionType.Terminating)) return prev;
    return { ...prev, conditions: removeCondition(conditions, ConditionType.Terminating) };
  }
  const them = users.length > 1 ? "they are" : "it is";
  const message = `deletion waits while ${named(users)} still use it; it completes once ${them} deleted`;
  const input = { type: ConditionType.Terminating, status: "True" as const, reason: Reason.InUse, message };
  return { ...prev, conditions: setCondition(conditions, input, ds.metadata?.generation, now) };
}
