// The flags promote and abort share (specs only: nothing here loads the Kubernetes client).
import type { FlagSpec } from "../cli/command.js";

export const CANARY_EDIT_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "dry-run": { type: "boolean", description: "Print the merge patch; change nothing." },
  force: { type: "boolean", description: "Patch even when Argo CD or Flux manages the object." },
  wait: { type: "boolean", description: "Wait until the ModelDeployment is Ready at the new generation." },
  timeout: { type: "string", valueName: "DURATION", description: "How long --wait waits (default 5m)." },
};
