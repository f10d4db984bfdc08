// Last step: the commands to look around with — the kubectl plugin's (docs/kubectl-plugin.md), and raw kubectl only
// where the plugin has no equivalent. The API key stays in OpenBao: `predict` reads it with the user's Vault login.
import { clusterConfig } from "../../../devcluster/cluster/config.js";
import { openbaoLayout } from "../../../devcluster/openbao/server.js";
import { penguinsPluginLines, pluginPathLines } from "../plugin.js";
import { need, type Step } from "../steps.js";
import { vaultConnection } from "../vault.js";

export const lookAroundStep: Step = {
  name: "look-around",
  title: "print the commands to look around with",
  async run(ctx) {
    const ns = ctx.options.namespace;
    const kubectl = need(ctx.kubectl, "kubectl");
    const lines = [`export KUBECONFIG=${need(ctx.kubeconfigPath, "the kubeconfig")}`, ...pluginPathLines()];
    if (ctx.clusterName) {
      // predict's Vault login: the local OpenBao's address, CA and (on this dev cluster) its root token.
      const conn = vaultConnection(ctx.clusterName);
      const init = openbaoLayout(clusterConfig(ctx.clusterName)).initFile;
      lines.push(
        `export VAULT_ADDR=${conn.address} VAULT_CACERT=${conn.caFile} VAULT_TOKEN=$(node -p 'require("${init}").rootToken')`,
      );
    }
    lines.push(
      ...penguinsPluginLines(ns),
      `${kubectl} get liftoff -n ${ns}            # every DataSet, TrainingJob and ModelDeployment as kubectl columns`,
      `${kubectl} get events -n ${ns} --sort-by=.lastTimestamp`,
    );
    for (const l of lines) ctx.log(`  ${l}`);
    return undefined;
  },
};
