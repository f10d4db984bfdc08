// The ErasurePending condition of a ModelDeployment (pure): True while the model it serves comes from a TrainingJob
// flagged ErasurePending (trained on a version an ErasureRequest rewrote); False (ErasureResolved) once it serves
// another model, e.g. the retrain its canary promoted. Read from the TrainingJobs' own conditions.
import type { ModelDeployment, ModelDeploymentStatus, TrainingJob } from "../api/v1alpha1/index.js";
import { type ConditionInput, findCondition, setCondition } from "../controller/conditions.js";
import { ConditionType, Reason } from "../reasons.js";

export function withErasurePending(
  status: ModelDeploymentStatus,
  mdep: ModelDeployment,
  trainingJobs: readonly TrainingJob[],
  now: () => string,
): ModelDeploymentStatus {
  const digest = status.model?.digest;
  const ref = mdep.spec.model.trainingJobRef?.name;
  const served = trainingJobs.filter(
    (t) =>
      t.metadata?.namespace === mdep.metadata?.namespace &&
      (digest ? t.status?.model?.digest === digest : ref !== undefined && t.metadata?.name === ref),
  );
  const flagged = served.find(
    (t) => findCondition(t.status?.conditions, ConditionType.ErasurePending)?.status === "True",
  );
  const before = findCondition(status.conditions, ConditionType.ErasurePending);
  if (!flagged && !before) return status;
  const pending = flagged ? findCondition(flagged.status?.conditions, ConditionType.ErasurePending) : undefined;
  const cond: ConditionInput = flagged
    ? {
        type: ConditionType.ErasurePending,
        status: "True",
        reason: Reason.ErasureRequested,
        message: `serves the model of TrainingJob ${flagged.metadata?.name}, which is ${pending?.message ?? "flagged"}`,
      }
    : {
        type: ConditionType.ErasurePending,
        status: "False",
        reason: Reason.ErasureResolved,
        message: `serves no model trained on a version an ErasureRequest rewrote (now ${status.model?.summary ?? digest ?? "none"})`,
      };
  return { ...status, conditions: setCondition(status.conditions, cond, mdep.metadata?.generation, now) };
}
