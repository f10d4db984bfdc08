#!/usr/bin/env node
/**
 * liftoff-runtime: one program for the Liftoff image. `serve` now; `train` and
 * `prepare` come later. Startup problems print one line and exit non-zero.
 */
import { serveHelp } from "./config.js";
import { ConfigError } from "./errors.js";
import { prepareCommand } from "./prepare/command.js";
import { startServe } from "./serve.js";
import { RUNTIME_NAME, RUNTIME_VERSION } from "./version.js";

const USAGE = `usage: ${RUNTIME_NAME} <command> [flags]

commands:
  serve     serve a TensorFlow.js model over HTTP (V1 and V2 protocols)
  train     (not yet available)
  prepare   clean, split, encrypt and describe a DataSet's data (DuckDB)

'${RUNTIME_NAME} serve --help' lists serve's flags.`;

function fail(message: string, code: number): never {
  process.stderr.write(`${RUNTIME_NAME}: error: ${message}\n`);
  process.exit(code);
}

async function serve(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${serveHelp()}\n`);
    return;
  }
  let running: Awaited<ReturnType<typeof startServe>>;
  try {
    running = await startServe(argv, process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message, 2);
    throw err;
  }
  const stop = (signal: string) => {
    running.app.log.info(`${signal} received`);
    running.shutdown().then(
      () => process.exit(0),
      (err: unknown) => fail(`shutdown failed: ${(err as Error).message}`, 1),
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  try {
    await running.loaded;
  } catch (err) {
    // Exit so the pod restarts and its status shows why; readiness was never true.
    const message = err instanceof ConfigError ? err.message : `model load failed: ${(err as Error).message}`;
    running.app.log.error(message);
    await running.app.close();
    fail(message, 1);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve":
      return serve(rest);
    case "prepare":
      process.exitCode = await prepareCommand(rest, process.env);
      return;
    case "train":
      fail(`command '${command}' is not available yet`, 2);
      break;
    case "--version":
      process.stdout.write(`${RUNTIME_VERSION}\n`);
      return;
    case undefined:
    case "--help":
    case "-h":
    case "help":
      process.stdout.write(`${USAGE}\n`);
      if (command === undefined) process.exitCode = 2;
      return;
    default:
      fail(`unknown command '${command}' (expected serve, train or prepare)`, 2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => fail((err as Error).message, 1));
