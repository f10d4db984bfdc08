// Step: the model seen through the kubectl plugin, once — its lineage tree (DataSet → TrainingJob →
// ModelDeployment → pods) and the TrainingJob's curves — by running the real `kubectl liftoff` as a user would.
import { runPlugin, shownRun } from "../plugin.js";
import { need, type Step, StepFailure } from "../steps.js";

const NAME = "penguins";

export const inspectStep: Step = {
  name: "inspect",
  title: "show the lineage tree and the training curve with the kubectl plugin (docs/kubectl-plugin.md)",
  async run(ctx) {
    const kubectl = need(ctx.kubectl, "kubectl");
    const kubeconfig = need(ctx.kubeconfigPath, "the kubeconfig");
    const ns = ctx.options.namespace;
    for (const args of [
      ["tree", `mdep/${NAME}`, "-n", ns],
      ["curves", `tj/${NAME}`, "-n", ns],
    ]) {
      const out = await runPlugin(kubectl, kubeconfig, args);
      for (const l of shownRun(args, out)) ctx.log(`  ${l}`);
      // The plugin's own one-line error says what is wrong; the demo stops on it like on any failed step.
      if (out.code !== 0) throw new StepFailure(`kubectl liftoff ${args[0]} exited with ${out.code} (see above)`);
    }
    return undefined;
  },
};
