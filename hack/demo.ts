// `npm start`: Liftoff's main job on this machine, as a sequence of steps (hack/demo/steps/). `npm start -- --help`
// lists them and the flags. One demo at a time per worktree; Ctrl-C at any step stops everything it started.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../devcluster/cluster/config.js";
import { parseDemoArgs, UsageError } from "./demo/cli.js";
import { HELP_FILE } from "./demo/help.js";
import { acquireLock, Busy } from "./demo/lock.js";
import type { DemoContext } from "./demo/steps.js";

const log = (line: string) => console.error(line);

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseDemoArgs>;
  try {
    parsed = parseDemoArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      log(`demo: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    // Rendered from the plan ahead of time (demo/help.ts): the steps' imports take seconds to load.
    process.stdout.write(readFileSync(HELP_FILE, "utf8"));
    return 0;
  }
  const { stepsFor } = await import("./demo/plan.js");
  const { errorMessage, runSteps } = await import("./demo/steps.js");
  const release = acquireLock(join(REPO_ROOT, ".liftoff", "demo.lock"));
  const cleanups: { what: string; fn: () => Promise<void> | void }[] = [];
  let stopping = false;
  const cleanup = async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c.fn();
      } catch (err) {
        log(`demo: stopping ${c.what} failed: ${errorMessage(err)}`);
      }
    }
    cleanups.length = 0;
    release();
  };
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`demo: ${signal}: stopping what the demo started ...`);
    void cleanup().then(() => process.exit(130));
  };
  process.on("SIGINT", () => stop("Ctrl-C"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  const ctx: DemoContext = {
    options: parsed.options,
    log,
    tty: Boolean(process.stderr.isTTY),
    write: (text) => process.stderr.write(text),
    onCleanup: (what, fn) => cleanups.push({ what, fn }),
    results: new Map(),
  };
  const started = Date.now();
  const ok = await runSteps(stepsFor(parsed.options.sample, parsed.options.loop), ctx);
  if (!ok || parsed.options.exit) {
    if (ok) log(`demo: all steps done in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    await cleanup();
    return ok ? 0 : 1;
  }
  log(`demo: all steps done in ${((Date.now() - started) / 1000).toFixed(1)}s; Ctrl-C stops everything it started`);
  return new Promise(() => undefined); // until a signal
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    const { errorMessage } = await import("./demo/steps.js");
    log(`demo: ${err instanceof Busy ? err.message : `unexpected error: ${errorMessage(err)}`}`);
    process.exit(1);
  },
);
