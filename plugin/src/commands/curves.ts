// `kubectl liftoff curves`: the spec (help, flags, completion); the code is in curves-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const curvesCommand: CommandSpec = {
  name: "curves",
  summary: "Loss and validation metrics per epoch of a TrainingJob, as a chart",
  usage: "curves TRAININGJOB [--watch] [--png FILE [--size WxH]]",
  description:
    "Draws the TrainingJob's loss and every validation metric per epoch from its status.history (no Prometheus " +
    "needed): loss-like metrics (loss, val_loss, mse, mae) in one panel, scores (accuracy, precision, recall, auc) " +
    "in another, with braille characters sized to the terminal. --watch redraws as epochs arrive until the job " +
    "ends (or Ctrl-C). --png writes the same chart as a picture. -o json|yaml prints the history itself.",
  examples: [
    "# The curves of a finished or running job",
    "kubectl liftoff curves tj/penguins",
    "# Follow a run live, epoch by epoch",
    "kubectl liftoff curves tj/penguins --watch",
    "# A 1600×900 picture for a report",
    "kubectl liftoff curves tj/penguins --png penguins.png --size 1600x900",
  ],
  flags: {
    watch: { type: "boolean", short: "w", description: "Redraw as new epochs arrive, until the job ends." },
    png: {
      type: "string",
      valueName: "FILE",
      description: "Write the chart as a PNG picture to FILE.",
      complete: "file",
    },
    size: { type: "string", valueName: "WxH", description: "The PNG's size in pixels (default 1200x700)." },
  },
  args: ["trainingjob"],
  load: () => import("./curves-run.js"),
};
