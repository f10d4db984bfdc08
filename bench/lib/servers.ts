/**
 * Starts servers under test as child processes (so the load generator does not
 * share their event loop) and stops them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface Child {
  port: number;
  proc: ChildProcess;
  /** User + system CPU seconds the process has used so far (Linux /proc). */
  cpuSeconds(): number;
  /** Everything the process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

function cpuSecondsOf(pid: number | undefined): number {
  try {
    // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): utime, stime in clock ticks (100/s).
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Process groups of the servers started and not yet stopped: killed if this process exits or is interrupted first. */
const live = new Set<number>();
let guarded = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** A bench that throws past its finally blocks, or is stopped with Ctrl-C, must not leave a server serving. */
function guardExit(): void {
  if (guarded) return;
  guarded = true;
  process.on("exit", () => {
    for (const pid of live) killGroup(pid, "SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      for (const pid of live) killGroup(pid, "SIGKILL");
      process.exit(130);
    });
  }
}

/**
 * Spawns `cmd args` in its own session (setsid: a process group of its own, so whatever it starts stops with it),
 * waits for a stdout line matching `portPattern`, then for `readyUrl` to answer 200.
 */
export async function startChild(
  cmd: string,
  args: string[],
  portPattern: RegExp,
  readyPath: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<Child> {
  guardExit();
  const proc = spawn(cmd, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const pid = proc.pid;
  if (pid !== undefined) live.add(pid);
  proc.once("exit", () => {
    if (pid !== undefined) live.delete(pid);
  });
  let out = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  // A start that fails (no port, never ready) stops the child: it must not outlive the caller.
  const failed = (message: string): Error => {
    if (pid !== undefined) killGroup(pid, "SIGKILL");
    return new Error(message);
  };
  const deadline = Date.now() + timeoutMs;
  let port: number | undefined;
  while (port === undefined) {
    const m = portPattern.exec(out);
    if (m?.[1]) port = Number(m[1]);
    else if (proc.exitCode !== null) throw failed(`${cmd} exited (${proc.exitCode}): ${out.slice(-2000)}`);
    else if (Date.now() > deadline) throw failed(`${cmd} printed no port: ${out.slice(-2000)}`);
    else await new Promise((r) => setTimeout(r, 20));
  }
  while (true) {
    const ok = await fetch(`http://127.0.0.1:${port}${readyPath}`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) break;
    if (proc.exitCode !== null) throw failed(`${cmd} exited (${proc.exitCode}): ${out.slice(-2000)}`);
    if (Date.now() > deadline) throw failed(`${cmd} never became ready: ${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    proc,
    cpuSeconds: () => cpuSecondsOf(proc.pid),
    output: () => out,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) {
          if (pid !== undefined) killGroup(pid, "SIGKILL"); // anything it left behind in its group
          return resolve();
        }
        proc.once("exit", () => {
          if (pid !== undefined) killGroup(pid, "SIGKILL");
          resolve();
        });
        if (pid !== undefined) killGroup(pid, "SIGTERM");
      }),
  };
}

/** The Liftoff runtime, as the image runs it (through tsx, so no build step is needed). */
/** `serve`'s arguments for model `m` from `modelUri` on an ephemeral loopback port, then `extra`. */
export const loopbackServe = (modelUri: string, extra: string[] = []): string[] => [
  "serve",
  "--model-uri",
  modelUri,
  "--model-name",
  "m",
  "--host",
  "127.0.0.1",
  "--port",
  "0",
  ...extra,
];

export function startRuntime(modelDir: string, flags: string[] = []): Promise<Child> {
  return startChild(
    process.execPath,
    ["--import", "tsx", "runtime/src/main.ts", ...loopbackServe(modelDir, flags)],
    // The HTTP line; "gRPC listening on …" comes first when --grpc-port is given.
    /"listening on 127\.0\.0\.1:(\d+)/,
    "/v2/models/m/ready",
  );
}
