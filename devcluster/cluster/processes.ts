// Starts components as detached processes and stops them by the PIDs recorded at start, never by name.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ComponentSpec } from "./components.js";

export interface RunningProcess {
  name: string;
  pid: number;
  command: string;
}

const PID_FILE = "pids.json";

export function readPidFile(stateDir: string): RunningProcess[] {
  const file = join(stateDir, PID_FILE);
  if (!existsSync(file)) return [];
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RunningProcess[];
  } catch {
    return [];
  }
}

export function writePidFile(stateDir: string, processes: RunningProcess[]): void {
  if (processes.length === 0) rmSync(join(stateDir, PID_FILE), { force: true });
  else writeFileSync(join(stateDir, PID_FILE), `${JSON.stringify(processes, null, 2)}\n`);
}

/** True when `pid` is alive and still runs `command` (a recycled PID belongs to someone else). */
export function isOurs(p: RunningProcess): boolean {
  try {
    const argv0 = readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0")[0];
    return argv0 === p.command;
  } catch {
    return false;
  }
}

export function startProcess(spec: ComponentSpec, logDir: string): RunningProcess {
  const log = openSync(join(logDir, `${spec.name}.log`), "a");
  try {
    const child = spawn(spec.command, spec.args, {
      detached: true, // its own process group: survives the CLI exiting, and Ctrl-C in the shell
      stdio: ["ignore", log, log],
      env: { ...process.env, ...spec.env },
    });
    if (child.pid === undefined) throw new Error(`could not start ${spec.command}`);
    child.unref();
    return { name: spec.name, pid: child.pid, command: spec.command };
  } finally {
    closeSync(log);
  }
}

async function waitForExit(pid: number, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** SIGTERM, then SIGKILL after `graceSeconds`. Only touches processes that are still ours. */
export async function stopProcess(p: RunningProcess, graceSeconds = 10): Promise<void> {
  if (!isOurs(p)) return;
  try {
    process.kill(p.pid, "SIGTERM");
  } catch {
    return;
  }
  if (await waitForExit(p.pid, Date.now() + graceSeconds * 1000)) return;
  try {
    process.kill(p.pid, "SIGKILL");
  } catch {
    return;
  }
  await waitForExit(p.pid, Date.now() + 5000);
}
