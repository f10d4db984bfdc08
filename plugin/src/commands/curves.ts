// `kubectl liftoff curves`: the spec (help, flags, completion); the code is in curves-run.ts (a TrainingJob) and
// curves-search-run.ts (a TrainingSearch), loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const curvesCommand: CommandSpec = {
  name: "curves",
  summary: "Loss and validation metrics per epoch of a TrainingJob, or a TrainingSearch's trials, as a chart",
  usage: "curves TRAININGJOB|tsearch/NAME [--watch] [--png FILE [--size WxH]]",
  description:
    "Draws the TrainingJob's loss and every validation metric per epoch from its status.history (no Prometheus " +
    "needed): loss-like metrics (loss, val_loss, mse, mae) in one panel, scores (accuracy, precision, recall, auc) " +
    "in another, with braille characters sized to the terminal. --watch redraws as epochs arrive until the job " +
    "ends (or Ctrl-C). --png writes the same chart as a picture. -o json|yaml prints the history itself.\n\n" +
    "For a TrainingSearch (tsearch/NAME) it draws the search's objective (spec.objective.metric) per epoch, one " +
    "line per trial TrainingJob: the best trial highlighted and named with its parameters, stopped-early trials " +
    "dim and dashed, failed ones left out of the chart; the header counts the trials running, stopped early, done " +
    "and failed, and a table lists every trial. -o json|yaml prints each trial's curve.",
  examples: [
    "# The curves of a finished or running job",
    "kubectl liftoff curves tj/penguins",
    "# Follow a run live, epoch by epoch",
    "kubectl liftoff curves tj/penguins --watch",
    "# A 1600×900 picture for a report",
    "kubectl liftoff curves tj/penguins --png penguins.png --size 1600x900",
    "# Every trial of a hyperparameter search, the best one highlighted",
    "kubectl liftoff curves tsearch/digits-search",
  ],
  flags: {
    watch: { type: "boolean", short: "w", description: "Redraw as new epochs arrive, until the job or search ends." },
    png: {
      type: "string",
      valueName: "FILE",
      description: "Write the chart as a PNG picture to FILE.",
      complete: "file",
    },
    size: { type: "string", valueName: "WxH", description: "The PNG's size in pixels (default 1200x700)." },
  },
  args: [{ kinds: ["TrainingJob", "TrainingSearch"] }],
  load: () => import("./curves-run.js"),
};
