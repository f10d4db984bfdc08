#!/usr/bin/env node
// kubectl-liftoff: kubectl runs it as `kubectl liftoff …` when it is on PATH. Parses the line, prints help from the
// specs, runs one command, and turns every failure into one `error: …` line and a non-zero exit code.
import { parseLine, splitCommand } from "./cli/args.js";
import { PluginError } from "./cli/errors.js";
import { commandHelp, rootHelp } from "./cli/help.js";
import { createInvocation } from "./cli/invocation.js";
import { terminal } from "./cli/terminal.js";
import { COMMANDS, findCommand } from "./commands/index.js";

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const term = terminal(process.stdout, process.stderr, env);
  try {
    // Cobra's hidden completion entry point (the scripts and kubectl's kubectl_complete-liftoff hook call it).
    if (argv[0] === COMPLETE_COMMAND) {
      const { runComplete } = await import("./completion/complete-run.js");
      return runComplete(argv.slice(1), process.stdout, env);
    }
    const { name, rest } = splitCommand(argv);
    if (name === undefined || name === "help") {
      const target = name === "help" ? rest.find((a) => !a.startsWith("-")) : undefined;
      const spec = target === undefined ? undefined : findCommand(target);
      if (target !== undefined && !spec) throw unknownCommand(target);
      parseLine(undefined, name === undefined ? rest : []);
      term.line(spec ? commandHelp(spec) : rootHelp(COMMANDS));
      return 0;
    }
    const spec = findCommand(name);
    if (!spec) throw unknownCommand(name);
    const { positionals, flags } = parseLine(spec, rest);
    if (flags.help === true) {
      term.line(commandHelp(spec));
      return 0;
    }
    const inv = createInvocation(spec, positionals, flags, term, env);
    const mod = await spec.load();
    return (await mod.run(inv)) ?? 0;
  } catch (err) {
    const e =
      err instanceof PluginError
        ? err
        : new PluginError(
            "Internal",
            (err as Error)?.message ?? String(err),
            "this is a bug: please report it with --v",
          );
    term.note(e.line());
    if (env.LIFTOFF_PLUGIN_DEBUG && err instanceof Error && err.stack) term.note(err.stack);
    return e.exitCode;
  }
}

function unknownCommand(name: string): PluginError {
  return new PluginError(
    "Usage",
    `unknown command "${name}" for "kubectl liftoff"`,
    `kubectl liftoff --help lists the commands (${COMMANDS.map((c) => c.name).join(", ")})`,
  );
}

const COMPLETE_COMMAND = "__complete";

/** A reader that stops early (`| head`) closes the pipe: end there, quietly, rather than with an EPIPE stack trace. */
function endOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    const code = typeof process.exitCode === "number" ? process.exitCode : 0;
    process.exit(err.code === "EPIPE" ? code : 1);
  });
}

// Run when executed (the bundle, the single executable, or tsx), not when a test imports main(). Under the name
// kubectl_complete-liftoff (kubectl ≥ 1.26 runs it for `kubectl liftoff <TAB>` with the words to complete) it is
// `kubectl liftoff __complete`.
const entry = process.argv[1] ?? "";
const completing = /kubectl_complete-liftoff$/.test(entry);
if (
  completing ||
  /kubectl-liftoff(\.c?js)?$|plugin[\\/]src[\\/]main\.ts$/.test(entry) ||
  process.env.LIFTOFF_PLUGIN_MAIN === "1"
) {
  endOnClosedPipe(process.stdout);
  endOnClosedPipe(process.stderr);
  main(completing ? [COMPLETE_COMMAND, ...process.argv.slice(2)] : process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`error: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
