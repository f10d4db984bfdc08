// `kubectl liftoff completion`: the spec (help, flags, completion); the code is in completion-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const completionCommand: CommandSpec = {
  name: "completion",
  summary: "Print a shell completion script (bash or zsh)",
  usage: "completion bash|zsh",
  args: [{ values: ["bash", "zsh"] }],
  load: () => import("./completion-run.js"),
};
