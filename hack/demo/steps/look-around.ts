// Last step: the commands to look around with (the API key is read from OpenBao, never printed by the demo).
import { join } from "node:path";
import { BIN_DIR } from "../../../devcluster/cluster/binaries.js";
import { clusterConfig } from "../../../devcluster/cluster/config.js";
import { openbaoLayout } from "../../../devcluster/openbao/server.js";
import { loadSample } from "../samples.js";
import { need, type Step } from "../steps.js";
import { vaultConnection } from "../vault.js";

export const lookAroundStep: Step = {
  name: "look-around",
  title: "print the commands to look around with",
  async run(ctx) {
    const ns = ctx.options.namespace;
    const kubectl = need(ctx.kubectl, "kubectl");
    const url = ctx.results.get("endpoint") as string | undefined;
    const lines = [
      `export KUBECONFIG=${need(ctx.kubeconfigPath, "the kubeconfig")}`,
      `${kubectl} get liftoff -n ${ns}            # DataSet, TrainingJob, ModelDeployment`,
      `${kubectl} get mdep penguins -n ${ns} -o yaml  # conditions (Ready, Drifted, ...) and status.monitoring`,
      `${kubectl} get deploy,svc,pods,jobs -n ${ns}`,
    ];
    if (url && ctx.clusterName) {
      const conn = vaultConnection(ctx.clusterName);
      const init = openbaoLayout(clusterConfig(ctx.clusterName)).initFile;
      // biome-ignore lint/suspicious/noExplicitAny: sample spec
      const keyRef = (loadSample("modeldeployment", ns).spec as any).auth.apiKeys as { path: string; key: string };
      lines.push(
        `export BAO_ADDR=${conn.address} BAO_CACERT=${conn.caFile} BAO_TOKEN=$(node -p 'require("${init}").rootToken')`,
        `KEY=$(${join(BIN_DIR, "bao")} kv get -field=${keyRef.key} ${keyRef.path.replace("/data/", "/")})`,
        `curl -s -H "Authorization: Bearer $KEY" -X POST ${url}/v1/models/penguins:predict \\`,
        `  -d '{"instances":[{"island":"Biscoe","bill_length_mm":48.6,"bill_depth_mm":16,"flipper_length_mm":230,"body_mass_g":5800,"sex":"male"}]}'`,
      );
    }
    for (const l of lines) ctx.log(`  ${l}`);
    return undefined;
  },
};
