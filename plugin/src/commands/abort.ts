// `kubectl liftoff abort`: the spec (help, flags, completion); the code is in abort-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const abortCommand: CommandSpec = {
  name: "abort",
  summary: "Abort a ModelDeployment's canary: all traffic back to stable",
  usage: "abort MODELDEPLOYMENT",
  args: ["modeldeployment"],
  load: () => import("./abort-run.js"),
};
