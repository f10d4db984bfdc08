// Steps 1-2: first-use set-up (libtensorflow, binaries), the runtime build the local node agent runs, and the kubectl
// plugin's bundle the demo's last steps run (plugin/dist/bin/kubectl-liftoff).
import { spawn } from "node:child_process";
import { existsSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../../devcluster/cluster/config.js";
import { buildPlugin } from "../../build-plugin.js";
import { componentsFor } from "../../setup/components.js";
import { runSetup } from "../../setup/run.js";
import { type Step, StepFailure } from "../steps.js";
import { upToDate } from "../up-to-date.js";

export const setupStep: Step = {
  name: "setup",
  title: "fetch or build what is missing (libtensorflow, control-plane binaries, kubectl, helm, OpenBao, Prometheus)",
  async run(ctx) {
    const ok = await runSetup(componentsFor("start"), { log: (l) => ctx.log(`  ${l}`) });
    if (!ok) throw new StepFailure("set-up failed (see the lines above)");
    return undefined;
  },
};

const BUILD_INFO = join(REPO_ROOT, ".liftoff", "runtime.tsbuildinfo");
/** Written after each successful build; older than any input means the build must run again. */
const BUILD_STAMP = join(REPO_ROOT, ".liftoff", "runtime.built");
const RUNTIME_MAIN = join(REPO_ROOT, "runtime", "dist", "main.js");
const BUILD_INPUTS = ["runtime/src", "runtime/tsconfig.build.json", "tsconfig.base.json", "package-lock.json"].map(
  (p) => join(REPO_ROOT, p),
);

const PLUGIN_STAMP = join(REPO_ROOT, ".liftoff", "plugin.built");
const PLUGIN_LINK = join(REPO_ROOT, "plugin", "dist", "bin", "kubectl-liftoff");
/** The plugin bundles pure code from the operator and the runtime too. */
const PLUGIN_INPUTS = [
  "plugin/src",
  "plugin/package.json",
  "operator/src",
  "runtime/src",
  "hack/build-plugin.ts",
  "package-lock.json",
].map((p) => join(REPO_ROOT, p));

export const buildStep: Step = {
  name: "build",
  title: "compile the runtime (runtime/dist, the image the local node agent runs) and bundle the kubectl plugin",
  async run() {
    const runtime = await buildRuntime();
    const plugin = await bundlePlugin();
    return runtime && plugin ? "up to date (no source changed since the last build)" : undefined;
  },
};

/** True when nothing had to be compiled. */
function buildRuntime(): Promise<boolean> {
  if (existsSync(RUNTIME_MAIN) && upToDate(BUILD_STAMP, BUILD_INPUTS)) return Promise.resolve(true);
  return new Promise((resolve, reject) => {
    // Incremental (a few seconds when little changed); tsc does not notice deleted outputs, so a missing
    // dist/ forgets the build info and compiles everything.
    if (!existsSync(RUNTIME_MAIN)) rmSync(BUILD_INFO, { force: true });
    rmSync(BUILD_STAMP, { force: true });
    const startedAt = new Date(); // the stamp wears the start time: a file saved during the build is still newer
    const args = ["tsc", "-p", "runtime/tsconfig.build.json", "--incremental", "--tsBuildInfoFile", BUILD_INFO];
    const child = spawn("npx", args, { cwd: REPO_ROOT, stdio: "inherit" });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new StepFailure(`tsc exited with ${code} (errors above)`));
      stamp(BUILD_STAMP, startedAt);
      resolve(false);
    });
  });
}

/** The plugin's esbuild bundle (a second or two); true when it was up to date. */
async function bundlePlugin(): Promise<boolean> {
  if (existsSync(PLUGIN_LINK) && upToDate(PLUGIN_STAMP, PLUGIN_INPUTS)) return true;
  rmSync(PLUGIN_STAMP, { force: true });
  const startedAt = new Date();
  try {
    await buildPlugin();
  } catch (err) {
    throw new StepFailure(`bundling the kubectl plugin failed: ${(err as Error).message}`);
  }
  stamp(PLUGIN_STAMP, startedAt);
  return false;
}

function stamp(file: string, at: Date): void {
  writeFileSync(file, "");
  utimesSync(file, at, at);
}
