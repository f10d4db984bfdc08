// The demo and the kubectl plugin (docs/kubectl-plugin.md): the demo runs the real plugin the way a user does —
// `kubectl liftoff …`, found by kubectl's own plugin discovery on PATH (plugin/dist/bin, which the build step
// bundles) — and prints the plugin's commands as the ones to look around with.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { StepFailure } from "./steps.js";

/** Where `npm run build:plugin` (and the demo's build step) links kubectl-liftoff. */
const PLUGIN_BIN_DIR = join(REPO_ROOT, "plugin", "dist", "bin");

/** The one command that installs the plugin on PATH (docs/kubectl-plugin.md "Install"). */
const PLUGIN_INSTALL = "npm run plugin:install";

export interface PluginOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kubectl liftoff ARGS` with the plugin's bin folder first on PATH; never rejects on a non-zero exit. */
export function runPlugin(kubectl: string, kubeconfig: string, args: readonly string[]): Promise<PluginOutput> {
  if (!existsSync(join(PLUGIN_BIN_DIR, "kubectl-liftoff"))) {
    throw new StepFailure(`${PLUGIN_BIN_DIR}/kubectl-liftoff is missing: run npm run build:plugin`);
  }
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    PATH: `${PLUGIN_BIN_DIR}${delimiter}${process.env.PATH ?? ""}`,
  };
  return new Promise((resolve) => {
    execFile(
      kubectl,
      ["liftoff", ...args],
      { env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024, cwd: REPO_ROOT },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** What the demo prints for one plugin run: the command as typed, then its output indented. */
export function shownRun(args: readonly string[], out: PluginOutput): string[] {
  const lines = [`$ kubectl liftoff ${args.join(" ")}`];
  for (const l of out.stdout.trimEnd().split("\n")) if (out.stdout.trim()) lines.push(`  ${l}`);
  for (const l of out.stderr.trimEnd().split("\n")) if (out.stderr.trim()) lines.push(`  ${l}`);
  return lines;
}

/** The lines that put the plugin on PATH: the one install command, or this checkout's bundle for this shell. */
export function pluginPathLines(): string[] {
  return [`export PATH=${PLUGIN_BIN_DIR}:$PATH   # this checkout's bundle; or install it: ${PLUGIN_INSTALL}`];
}

/** One raw record by column name (predict --record: comma-separated column=value pairs). */
const PENGUIN = "island=Biscoe,bill_length_mm=48.6,bill_depth_mm=16,flipper_length_mm=230,body_mass_g=5800,sex=male";

/** The penguins sample's look-around commands (docs/kubectl-plugin.md has what each shows). */
export function penguinsPluginLines(ns: string, name = "penguins"): string[] {
  const n = `-n ${ns}`;
  return [
    `kubectl liftoff tree mdep/${name} ${n} -w        # DataSet → TrainingJob → ModelDeployment → pods, live`,
    `kubectl liftoff curves tj/${name} ${n}           # loss and validation metrics per epoch (--png curves.png)`,
    `kubectl liftoff drift mdep/${name} ${n}          # per feature: live vs baseline, score, threshold, window`,
    `kubectl liftoff predict mdep/${name} ${n} --record ${PENGUIN}   # key from your Vault login`,
    `kubectl liftoff report mdep/${name} ${n}         # a support bundle (zip), secrets and pii values redacted`,
  ];
}
