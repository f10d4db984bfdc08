// Last step: the commands to look around with.
import { need, type Step } from "../steps.js";

export const lookAroundStep: Step = {
  name: "look-around",
  title: "print the commands to look around with",
  async run(ctx) {
    const ns = ctx.options.namespace;
    const kubectl = need(ctx.kubectl, "kubectl");
    const url = ctx.results.get("endpoint") as string | undefined;
    const lines = [
      `export KUBECONFIG=${need(ctx.kubeconfigPath, "the kubeconfig")}`,
      `${kubectl} get liftoff -n ${ns}`,
      `${kubectl} get deploy,svc,pods -n ${ns}`,
      `${kubectl} describe mdep -n ${ns}`,
    ];
    if (url) lines.push(`curl -s ${url}/v2/models/penguins`);
    for (const l of lines) ctx.log(`  ${l}`);
    return undefined;
  },
};
