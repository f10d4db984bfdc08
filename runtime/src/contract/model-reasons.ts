// Reasons a serving pod names about its model that the operator copies into a condition (operator/src/reasons.ts):
// the runtime puts ModelTooLarge first in the error line it exits with (as EgressRefused), and GPUFallback in the
// load report of a pod that asked for the GPU and runs on the CPU (docs/modeldeployment.md).
export const ModelReason = {
  ModelTooLarge: "ModelTooLarge",
  GPUFallback: "GPUFallback",
} as const;

export const MODEL_TOO_LARGE = ModelReason.ModelTooLarge;
