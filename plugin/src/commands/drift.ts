// `kubectl liftoff drift`: the spec (help, flags, completion); the code is in drift-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const driftCommand: CommandSpec = {
  name: "drift",
  summary: "Per-feature drift of a ModelDeployment against its DataSet's baseline, and live quality",
  usage: "drift MODELDEPLOYMENT",
  args: ["modeldeployment"],
  load: () => import("./drift-run.js"),
};
