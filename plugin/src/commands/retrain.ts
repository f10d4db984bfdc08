// `kubectl liftoff retrain`: the spec (help, flags, completion); the code is in retrain-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const retrainCommand: CommandSpec = {
  name: "retrain",
  summary: "Start one closed-loop retraining of a ModelDeployment now",
  usage: "retrain MODELDEPLOYMENT",
  args: ["modeldeployment"],
  load: () => import("./retrain-run.js"),
};
