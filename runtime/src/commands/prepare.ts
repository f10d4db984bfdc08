/** `prepare`: runs a DataSet's pipeline on DuckDB and publishes the version (prepare/command.ts). */
import { type Command, wantsHelp } from "./command.js";

export const prepareCommand: Command = {
  name: "prepare",
  summary: "clean, split, encrypt and describe a DataSet's data on DuckDB and publish it under its digest",
  async run(argv) {
    // Imported on use: serve pods never load DuckDB.
    const { PREPARE_HELP, prepareMain } = await import("../prepare/command.js");
    if (wantsHelp(argv)) {
      process.stdout.write(`${PREPARE_HELP}\n`);
      return;
    }
    process.exitCode = await prepareMain(argv, process.env);
  },
};
