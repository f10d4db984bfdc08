// Steps 1-2: first-use set-up (libtensorflow, binaries) and the runtime build the local node agent runs.
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../../../devcluster/cluster/config.js";
import { componentsFor } from "../../setup/components.js";
import { runSetup } from "../../setup/run.js";
import { type Step, StepFailure } from "../steps.js";

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

export const buildStep: Step = {
  name: "build",
  title: "compile the runtime (runtime/dist, the image the local node agent runs)",
  run: () =>
    new Promise((resolve, reject) => {
      // Incremental (a few seconds when nothing changed); tsc does not notice deleted outputs, so a missing
      // dist/ forgets the build info and compiles everything.
      if (!existsSync(join(REPO_ROOT, "runtime", "dist", "main.js"))) rmSync(BUILD_INFO, { force: true });
      const args = ["tsc", "-p", "runtime/tsconfig.build.json", "--incremental", "--tsBuildInfoFile", BUILD_INFO];
      const child = spawn("npx", args, { cwd: REPO_ROOT, stdio: "inherit" });
      child.on("error", reject);
      child.on("close", (code) =>
        code === 0 ? resolve(undefined) : reject(new StepFailure(`tsc exited with ${code} (errors above)`)),
      );
    }),
};
