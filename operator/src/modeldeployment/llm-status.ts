// status.llm of a language model (pure): its throughput from the tokens its stable pods push (monitoring/
// snapshots.ts rounds it, so the status is written only when the rounded figure moves), the TOKENS/S column.
import type { ModelDeployment, ModelDeploymentStatus } from "../api/v1alpha1/index.js";
import type { Observation } from "./monitoring/status.js";

export function withLlmThroughput(
  status: ModelDeploymentStatus,
  mdep: ModelDeployment,
  observation: Observation | undefined,
): ModelDeploymentStatus {
  const out = { ...status };
  if (mdep.spec.model.format !== "gguf") {
    delete out.llm;
    return out;
  }
  // Before the first merge (an operator that just started) the last figures stay, so a restart writes nothing.
  if (observation === undefined) {
    if (mdep.status?.llm) out.llm = mdep.status.llm;
    return out;
  }
  // No ready pod, or none pushed lately: no figure rather than a stale one (the column shows nothing).
  if (!("merged" in observation) || observation.llm === undefined) {
    delete out.llm;
    return out;
  }
  out.llm = observation.llm;
  return out;
}
