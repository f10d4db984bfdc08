// One run of a container: a child process in its own process group, output appended to the container's log.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { constants } from "node:os";

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

/** Starts `argv`; rejects (e.g. ENOENT) when the program cannot be started at all. */
export function startProcess(
  argv: string[],
  opts: { env: Record<string, string>; cwd: string; logPath: string },
): Promise<RunningProcess> {
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
