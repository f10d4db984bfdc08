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

/** Spawns `cmd args`, waits for a stdout line matching `portPattern`, then for `readyUrl` to answer 200. */
export async function startChild(
  cmd: string,
  args: string[],
  portPattern: RegExp,
  readyPath: string,
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 120_000,
): Promise<Child> {
  const proc = spawn(cmd, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d) => {
    out += d;
  });
  proc.stderr?.on("data", (d) => {
    out += d;
  });
  // A start that fails (no port, never ready) stops the child: it must not outlive the caller.
  const failed = (message: string): Error => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
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
        if (proc.exitCode !== null) return resolve();
        proc.once("exit", () => resolve());
        proc.kill("SIGTERM");
      }),
  };
}

/** The Liftoff runtime, as the image runs it (through tsx, so no build step is needed). */
export function startRuntime(modelDir: string, flags: string[] = []): Promise<Child> {
  return startChild(
    process.execPath,
    [
      "--import",
      "tsx",
      "runtime/src/main.ts",
      "serve",
      "--model-uri",
      modelDir,
      "--model-name",
      "m",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      ...flags,
    ],
    // The HTTP line; "gRPC listening on …" comes first when --grpc-port is given.
    /"listening on 127\.0\.0\.1:(\d+)/,
    "/v2/models/m/ready",
  );
}
