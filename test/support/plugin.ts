// Runs the kubectl plugin the way users do: `kubectl liftoff …` with the built bundle's bin folder
// (plugin/dist/bin, written by `npm run build:plugin`, part of `npm run build`) first on PATH, so kubectl's own
// plugin discovery finds it. And the penguins pipeline the plugin's integration tests inspect: npm start's steps in a
// namespace of the test's own (as test/integration/demo.test.ts runs them).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { DEMO_STEPS } from "../../hack/demo/plan.js";
import { type DemoRun, runDemoSteps, type TestCluster } from "./demo-run.js";

export const PLUGIN_BIN_DIR = join(REPO_ROOT, "plugin", "dist", "bin");

export interface PluginRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PluginRunOptions {
  kubectl: string;
  kubeconfig: string;
  /** Extra environment (NO_COLOR is set unless given; VAULT_ADDR, VAULT_TOKEN …). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  cwd?: string;
}

/** `kubectl liftoff ARGS` with --kubeconfig; resolves with the exit code and both streams (never rejects on exit ≠ 0). */
export function kubectlLiftoff(args: readonly string[], opts: PluginRunOptions): Promise<PluginRun> {
  if (!existsSync(join(PLUGIN_BIN_DIR, "kubectl-liftoff"))) {
    throw new Error(`${PLUGIN_BIN_DIR}/kubectl-liftoff is missing: run npm run build:plugin (npm run build does)`);
  }
  const env = {
    ...process.env,
    NO_COLOR: "1",
    ...opts.env,
    PATH: `${PLUGIN_BIN_DIR}${delimiter}${process.env.PATH ?? ""}`,
  };
  return new Promise((resolve) => {
    execFile(
      opts.kubectl,
      ["liftoff", ...args, "--kubeconfig", opts.kubeconfig],
      { env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, cwd: opts.cwd ?? REPO_ROOT },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export type PenguinsPipeline = Omit<DemoRun, "ok" | "steps">;

/**
 * npm start's penguins steps (operator, encrypted DataSet, TrainingJob, key-protected ModelDeployment, predictions,
 * drift) in a fresh namespace named after `prefix`. About the demo test's time (tens of seconds on two cores).
 * The inspect step runs the plugin itself: the plugin's own tests run each command.
 */
export async function penguinsPipeline(
  kc: KubeConfig,
  prefix: string,
  cluster: TestCluster,
): Promise<PenguinsPipeline> {
  const run = await runDemoSteps(kc, prefix, cluster, { steps: DEMO_STEPS, skip: ["inspect"] });
  if (!run.ok) {
    await run.close();
    throw new Error(`the penguins pipeline failed:\n${run.lines.join("\n")}`);
  }
  return run;
}
