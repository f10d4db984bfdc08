// `kubectl liftoff tree`: the spec (help, flags, completion); the code is in tree-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const treeCommand: CommandSpec = {
  name: "tree",
  aliases: ["get"],
  summary: "The lineage tree DataSet → TrainingJob → ModelDeployment → pods, with each node's state",
  usage: "tree KIND/NAME [--watch]",
  args: ["liftoff"],
  load: () => import("./tree-run.js"),
};
