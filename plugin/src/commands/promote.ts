// `kubectl liftoff promote`: the spec (help, flags, completion); the code is in promote-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const promoteCommand: CommandSpec = {
  name: "promote",
  summary: "Promote a ModelDeployment's canary to stable",
  usage: "promote MODELDEPLOYMENT",
  args: ["modeldeployment"],
  load: () => import("./promote-run.js"),
};
