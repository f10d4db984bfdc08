#!/usr/bin/env node
/**
 * liftoff-runtime: one program for the Liftoff image, one subcommand per file in
 * commands/. Startup problems print one line and exit non-zero.
 */
import { type Command, fail } from "./commands/command.js";
import { eraseCommand } from "./commands/erase.js";
import { prepareCommand } from "./commands/prepare.js";
import { serveCommand } from "./commands/serve.js";
import { trainCommand } from "./commands/train.js";
import { RUNTIME_NAME, RUNTIME_VERSION } from "./version.js";

/** Every subcommand, in the order usage lists them. */
const COMMANDS: readonly Command[] = [serveCommand, prepareCommand, trainCommand, eraseCommand];

function usage(): string {
  return [
    `usage: ${RUNTIME_NAME} <command> [flags]`,
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(9)} ${c.summary}`),
    "",
    `'${RUNTIME_NAME} <command> --help' lists a command's flags.`,
  ].join("\n");
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  const command = COMMANDS.find((c) => c.name === name);
  if (command !== undefined) return command.run(rest);
  switch (name) {
    case "--version":
      process.stdout.write(`${RUNTIME_VERSION}\n`);
      return;
    case undefined:
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(`${usage()}\n`);
      if (name === undefined) process.exitCode = 2;
      return;
    default:
      fail(`unknown command '${name}' (expected ${COMMANDS.map((c) => c.name).join(", ")})`, 2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => fail((err as Error).message, 1));
