// `kubectl liftoff predict`: the spec (help, flags, completion); the code is in predict-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const predictCommand: CommandSpec = {
  name: "predict",
  summary: "Send records to a ModelDeployment and print its predictions",
  usage: "predict MODELDEPLOYMENT (-f FILE | --record K=V ...)",
  args: ["modeldeployment"],
  load: () => import("./predict-run.js"),
};
