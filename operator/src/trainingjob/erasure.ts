// The ErasurePending condition of a finished TrainingJob (pure): True while an ErasureRequest found its subjects'
// rows in the version the model was trained on. It never clears by itself — the model did learn from those rows — and
// names the retrain where the request made one. Read from the requests' records by this kind's own reconcile.
import type { ErasureRequest, TrainingJob } from "../api/v1alpha1/index.js";
import { type Condition, type ConditionInput, removeCondition, setCondition } from "../controller/conditions.js";
import { LABEL_ERASURE } from "../erasurerequest/names.js";
import { ConditionType, Reason } from "../reasons.js";

export function erasureCondition(tj: TrainingJob, requests: readonly ErasureRequest[]): ConditionInput | undefined {
  const digest = tj.status?.model?.dataSetDigest;
  // A retrain an ErasureRequest made trained on a rewritten version; it is flagged only by a later request.
  if (!digest || tj.metadata?.labels?.[LABEL_ERASURE] !== undefined) return undefined;
  const hits = requests
    .filter(
      (r) => r.metadata?.namespace === tj.metadata?.namespace && r.status?.found?.some((f) => f.digest === digest),
    )
    .sort((a, b) => ((a.metadata?.name ?? "") < (b.metadata?.name ?? "") ? -1 : 1));
  if (hits.length === 0) return undefined;
  const names = hits.map((r) => r.metadata?.name).join(", ");
  // Only a retrain that produced a model replaces this one; one still training (or failed) is not named as such.
  const retrained = hits.flatMap((r) =>
    (r.status?.retrained ?? [])
      .filter((x) => x.trainingJob === tj.metadata?.name && x.model !== undefined)
      .map((x) => x.retrainedAs),
  );
  const then =
    retrained.length > 0
      ? `; retrained as ${retrained.join(", ")}: serve that model and retire this one`
      : "; retrain it on the DataSet's new version, or retire this model";
  return {
    type: ConditionType.ErasurePending,
    status: "True",
    reason: Reason.ErasureRequested,
    message: `trained on DataSet ${tj.spec.dataSetRef.name} version ${digest.slice(7, 19)}, which ErasureRequest ${names} rewrote without data subjects' rows${then}`,
  };
}

/** The conditions with ErasurePending set (or removed when no request names the model). */
export function withErasureCondition(
  conditions: readonly Condition[] | undefined,
  cond: ConditionInput | undefined,
  generation: number | undefined,
  now: () => string,
): Condition[] {
  return cond
    ? setCondition(conditions, cond, generation, now)
    : removeCondition(conditions, ConditionType.ErasurePending);
}
