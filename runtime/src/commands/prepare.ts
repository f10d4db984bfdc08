/** `prepare`: runs a DataSet's pipeline on DuckDB and publishes the version (prepare/command.ts). */
import { PREPARE_HELP } from "../prepare/help.js";
import { type Command, wantsHelp } from "./command.js";

export const prepareCommand: Command = {
  name: "prepare",
  summary: "clean, split, encrypt and describe a DataSet's data on DuckDB and publish it under its digest",
  async run(argv) {
    if (wantsHelp(argv)) {
      process.stdout.write(`${PREPARE_HELP}\n`);
      return;
    }
    // Imported on use, after --help: serve pods never load DuckDB, and help loads nothing heavy.
    const { prepareMain } = await import("../prepare/command.js");
    process.exitCode = await prepareMain(argv, process.env);
  },
};
