// The operator as its own process (operator/src/main.ts, the image's entry point), for tests that must kill it the
// way a node or the OOM killer does: SIGKILL, no shutdown hook, no lease released. Started in its own process
// group under the operator ServiceAccount's kubeconfig; its log goes to a file the failure message points at.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { pollUntil } from "./poll.js";

export interface OperatorProcess {
  pid: number;
  /** http://127.0.0.1:<port>: /metrics, /healthz, /readyz. */
  url: string;
  logFile: string;
  /** SIGKILL to the process group; resolves once the process has exited. */
  kill(): Promise<void>;
  /** SIGTERM (a clean stop), then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Writes the kubeconfig (the operator SA's token) to a 0600 file the process reads. */
export function kubeconfigFile(kc: KubeConfig): string {
  const file = join(mkdtempSync(join(tmpdir(), "liftoff-operator-")), "kubeconfig");
  writeFileSync(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once("exit", () => resolve()));

export async function startOperatorProcess(o: {
  kubeconfig: string;
  namespaces: string[];
  metricsPort: number;
  flags: string[];
  logFile: string;
}): Promise<OperatorProcess> {
  const out = openSync(o.logFile, "a");
  const { KUBECONFIG: _ignored, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "operator/src/main.ts",
      `--kubeconfig=${o.kubeconfig}`,
      `--namespaces=${o.namespaces.join(",")}`,
      `--metrics-bind-address=127.0.0.1:${o.metricsPort}`,
      ...o.flags,
    ],
    { cwd: REPO_ROOT, env, detached: true, stdio: ["ignore", out, out] },
  );
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error("the operator process did not start");
  const url = `http://127.0.0.1:${o.metricsPort}`;
  // A test run that ends without its afterAll (stopped, crashed) must not leave the operator behind.
  const orphanGuard = () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-pid, "SIGKILL");
  };
  process.once("exit", orphanGuard);
  child.once("exit", () => process.removeListener("exit", orphanGuard));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-pid, "SIGKILL");
    await exited(child);
  };
  try {
    await pollUntil(
      "the operator process ready",
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
        return (await fetch(`${url}/readyz`)).ok;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  } catch (err) {
    await kill();
    const tail = readFileSync(o.logFile, "utf8").trim().split("\n").slice(-5).join("\n");
    throw new Error(`${(err as Error).message}; ${o.logFile} ends:\n${tail}`);
  }
  return {
    pid,
    url,
    logFile: o.logFile,
    kill,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) process.kill(-pid, "SIGKILL");
      }, 10_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
