// Ready's reason when a GPU pod runs on the CPU (pure): the ModelDeployment still serves, so Ready stays True, but its
// reason turns GPUFallback and its message names the pod and onnxruntime's reason (docs/modeldeployment.md, "GPU").
import type { ModelDeployment, ModelDeploymentStatus } from "../api/v1alpha1/index.js";
import { type Condition, findCondition, setCondition } from "../controller/conditions.js";
import { ConditionType, Reason } from "../reasons.js";
import type { Observation } from "./monitoring/status.js";

export function withGpuFallback(
  status: ModelDeploymentStatus,
  mdep: ModelDeployment,
  observation: Observation | undefined,
  now: () => string,
): ModelDeploymentStatus {
  const fallback = observation?.gpuFallback;
  if (fallback === undefined || (mdep.spec.resources?.gpu ?? 0) === 0) return status;
  const conditions = (status.conditions ?? []) as Condition[];
  const ready = findCondition(conditions, ConditionType.Ready);
  // Only a serving ModelDeployment: a failing one keeps the failure's reason, which says more.
  if (ready?.status !== "True") return status;
  const message = `${ready.message}; pod ${fallback.pod} runs on the CPU: ${fallback.message}`;
  return {
    ...status,
    conditions: setCondition(
      conditions,
      { type: ConditionType.Ready, status: "True", reason: Reason.GPUFallback, message },
      mdep.metadata?.generation,
      now,
    ),
  };
}
