// Steps 1-2: first-use set-up (libtensorflow, binaries) and the runtime build the local node agent runs.
import { spawn } from "node:child_process";
import { REPO_ROOT } from "../../../devcluster/cluster/config.js";
import { componentsFor } from "../../setup/components.js";
import { runSetup } from "../../setup/run.js";
import { type Step, StepFailure } from "../steps.js";

export const setupStep: Step = {
  name: "setup",
  title: "fetch or build what is missing (libtensorflow, control-plane binaries, kubectl, helm)",
  async run(ctx) {
    const ok = await runSetup(componentsFor("start"), { log: (l) => ctx.log(`  ${l}`) });
    if (!ok) throw new StepFailure("set-up failed (see the lines above)");
    return undefined;
  },
};

export const buildStep: Step = {
  name: "build",
  title: "compile the runtime (runtime/dist, the image the local node agent runs)",
  run: () =>
    new Promise((resolve, reject) => {
      const child = spawn("npx", ["tsc", "-p", "runtime/tsconfig.build.json"], { cwd: REPO_ROOT, stdio: "inherit" });
      child.on("error", reject);
      child.on("close", (code) =>
        code === 0 ? resolve(undefined) : reject(new StepFailure(`tsc exited with ${code} (errors above)`)),
      );
    }),
};
