// `kubectl liftoff retrain`: the spec (help, flags, completion); the code is in retrain-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const retrainCommand: CommandSpec = {
  name: "retrain",
  summary: "Start one closed-loop retraining of a ModelDeployment now",
  usage: "retrain MODELDEPLOYMENT [--dry-run]",
  description:
    "Sets the annotation liftoff.dev/retrain to a new value: the closed loop's Manual trigger (docs/loop.md) acts once per value, not held back by its limits, only by a loop already running; status.loop.manualToken shows the value it acted on. Needs spec.retrain.",
  examples: ["# Retrain the penguins model on fresh and captured data", "kubectl liftoff retrain mdep/penguins"],
  flags: {
    "dry-run": { type: "boolean", description: "Print the merge patch; change nothing." },
    wait: { type: "boolean", description: "Wait until the ModelDeployment is Ready at the new generation." },
    timeout: { type: "string", valueName: "DURATION", description: "How long --wait waits (default 5m)." },
  },
  args: ["modeldeployment"],
  load: () => import("./retrain-run.js"),
};
