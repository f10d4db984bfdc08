// `kubectl liftoff curves`: the spec (help, flags, completion); the code is in curves-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const curvesCommand: CommandSpec = {
  name: "curves",
  summary: "Loss and validation metrics per epoch of a TrainingJob, as a chart",
  usage: "curves TRAININGJOB [--watch] [--png FILE]",
  args: ["trainingjob"],
  load: () => import("./curves-run.js"),
};
