/** `train`: trains a TrainingJob's model on a DataSet's output and publishes the artifact (train/command.ts). */
import { type Command, wantsHelp } from "./command.js";

export const trainCommand: Command = {
  name: "train",
  summary: "train a model on a DataSet's output and publish the artifact with its lineage",
  async run(argv) {
    // Imported on use: serve pods never load DuckDB or the training code.
    const { TRAIN_HELP, trainMain } = await import("../train/command.js");
    if (wantsHelp(argv)) {
      process.stdout.write(`${TRAIN_HELP}\n`);
      return;
    }
    process.exitCode = await trainMain(argv, process.env);
  },
};
