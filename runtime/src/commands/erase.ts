/** `erase`: erases an ErasureRequest's subjects from a DataSet's versions (erase/command.ts). */
import { type Command, wantsHelp } from "./command.js";

export const eraseCommand: Command = {
  name: "erase",
  summary: "erase data subjects' rows from a DataSet's versions (an ErasureRequest's Job) and shred the old versions",
  async run(argv) {
    // Imported on use: serve pods never load DuckDB.
    const { eraseMain, ERASE_HELP } = await import("../erase/command.js");
    if (wantsHelp(argv)) {
      process.stdout.write(`${ERASE_HELP}\n`);
      return;
    }
    process.exitCode = await eraseMain(argv, process.env);
  },
};
