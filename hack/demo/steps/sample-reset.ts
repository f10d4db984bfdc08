// First step of a `--sample` demo: remove the ModelDeployment a previous run left, so each run starts clean.
import { deleteAndWait } from "../kube.js";
import { need, type Step } from "../steps.js";

export function sampleResetStep(name: string): Step {
  return {
    name: "reset",
    title: `delete the previous run's ModelDeployment ${name}, if any`,
    async run(ctx) {
      const ref = { kind: "ModelDeployment", namespace: ctx.options.namespace, name } as const;
      const gone = await deleteAndWait(need(ctx.kc, "the cluster"), ref, 60_000);
      return gone ? "removed ModelDeployment" : "nothing to remove";
    },
  };
}
