/**
 * The shape of a liftoff-runtime subcommand. Each command lives in its own file
 * in this folder and is listed once in main.ts; adding one is a new file and a
 * line there.
 */
import { RUNTIME_NAME } from "../version.js";

export interface Command {
  name: string;
  /** One line for the usage text. */
  summary: string;
  /** Runs with the arguments after the command name; startup problems go through fail(). */
  run(argv: string[]): Promise<void>;
}

/** One line on stderr and exit: 2 for usage and configuration, 1 for failures at run time. */
export function fail(message: string, code: number): never {
  process.stderr.write(`${RUNTIME_NAME}: error: ${message}\n`);
  process.exit(code);
}

export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes("--help") || argv.includes("-h");
}
