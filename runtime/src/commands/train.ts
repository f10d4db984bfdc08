/** `train`: trains a TrainingJob's model on a DataSet's output and publishes the artifact (train/command.ts). */
import { TRAIN_HELP } from "../train/help.js";
import { type Command, wantsHelp } from "./command.js";

export const trainCommand: Command = {
  name: "train",
  summary: "train a model on a DataSet's output and publish the artifact with its lineage",
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(`${TRAIN_HELP}\n`);
      return;
    }
    // Imported on use, after --help: serve pods never load DuckDB or the training code, and help loads nothing heavy.
    const { trainMain } = await import("../train/command.js");
    process.exitCode = await trainMain(argv, process.env);
  },
};
