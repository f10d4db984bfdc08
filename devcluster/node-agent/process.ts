// One run of a container: a child process in its own process group, output appended to the container's log;
// and stopping such processes by a sequence of signals.
import { spawn } from "node:child_process";
import { accessSync, closeSync, constants as fsConstants, openSync, statSync } from "node:fs";
import { constants } from "node:os";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { StopStep } from "./termination.js";

export interface Exit {
  exitCode: number;
  signal?: number;
}

export interface RunningProcess {
  pid: number;
  exited: Promise<Exit>;
  /** Signals the whole process group, so shells and their children stop too. */
  kill(signal: NodeJS.Signals): void;
  alive(): boolean;
}

/** The program `file` names, searched in `path` as execvp does; undefined when there is no such executable. */
export function findProgram(file: string, path: string, cwd: string): string | undefined {
  const candidates = file.includes("/")
    ? [isAbsolute(file) ? file : resolve(cwd, file)]
    : path.split(delimiter).map((d) => join(d || ".", file));
  for (const c of candidates) {
    try {
      accessSync(c, fsConstants.X_OK);
      if (statSync(c).isFile()) return c;
    } catch {
      // next
    }
  }
  return undefined;
}

/**
 * Starts `argv` (through `wrap`, e.g. into the pod's network namespace); rejects (e.g. ENOENT) when the program
 * cannot be started at all. A wrapper would exec the program itself, so its existence is checked here first.
 */
export function startProcess(
  argv: string[],
  opts: { env: Record<string, string>; cwd: string; logPath: string; wrap?: (argv: string[]) => string[] },
): Promise<RunningProcess> {
  if (!argv[0]) return Promise.reject(new Error("container has no command"));
  if (opts.wrap) {
    if (!findProgram(argv[0], opts.env.PATH ?? "", opts.cwd)) {
      const err: NodeJS.ErrnoException = new Error(`spawn ${argv[0]} ENOENT`);
      err.code = "ENOENT";
      return Promise.reject(err);
    }
    argv = opts.wrap(argv);
  }
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new Error("container has no command"));
  const log = openSync(opts.logPath, "a");
  return new Promise((resolvePromise, reject) => {
    let done = false;
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ["ignore", log, log] });
    closeSync(log);
    const exited = new Promise<Exit>((res) => {
      child.once("exit", (code, signal) => {
        done = true;
        // As when a container's PID 1 dies and its PID namespace goes: what it started goes with it (a torchrun
        // under the runtime, say), instead of running on as an orphan.
        try {
          if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
        } catch {
          // the group is empty already
        }
        // Like a container runtime: a signal death reads as 128 + the signal's number.
        const signum = signal ? (constants.signals[signal] ?? 9) : undefined;
        res(signum !== undefined ? { exitCode: 128 + signum, signal: signum } : { exitCode: code ?? 0 });
      });
    });
    child.once("error", (err) => {
      if (child.pid === undefined) reject(err);
    });
    child.once("spawn", () => {
      const pid = child.pid as number;
      resolvePromise({
        pid,
        exited,
        alive: () => !done,
        kill(signal) {
          if (done) return;
          try {
            process.kill(-pid, signal);
          } catch {
            // already gone
          }
        },
      });
    });
  });
}

/** Signals every process at each step, waiting up to the step's time for all of them to exit before the next. */
export async function stopInSteps(procs: RunningProcess[], steps: StopStep[]): Promise<void> {
  const exits = Promise.all(procs.map((p) => p.exited));
  for (const step of steps) {
    for (const p of procs) p.kill(step.signal);
    if (step.waitMs !== undefined) await Promise.race([exits, delay(step.waitMs)]);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
