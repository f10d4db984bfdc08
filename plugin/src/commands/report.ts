// `kubectl liftoff report`: the spec (help, flags, completion); the code is in report-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const reportCommand: CommandSpec = {
  name: "report",
  summary: "Write a support bundle (objects, Events, logs, versions; secrets redacted) to a zip",
  usage: "report KIND/NAME [-f FILE]",
  args: ["liftoff"],
  load: () => import("./report-run.js"),
};
