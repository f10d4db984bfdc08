// Step 4: the operator, in this process against the local cluster (in-cluster on kind: installed by the chart).
import { join } from "node:path";
import pino from "pino";
import { clusterConfig, REPO_ROOT } from "../../../devcluster/cluster/config.js";
import { reportFlags } from "../../../devcluster/cluster/report-flags.js";
import { openbaoLayout } from "../../../devcluster/openbao/server.js";
import { parseConfig } from "../../../operator/src/config.js";
import { startOperator } from "../../../operator/src/operator.js";
import { need, type Step } from "../steps.js";
import { vaultConnection } from "../vault.js";

export const operatorStep: Step = {
  name: "operator",
  title: "run the Liftoff operator (DataSet, TrainingJob, ModelDeployment controllers) in this process",
  async run(ctx) {
    if (ctx.options.reuseCluster) return "skipped: the cluster runs its own operator";
    const kc = need(ctx.kc, "the cluster");
    const clusterName = need(ctx.clusterName, "the local cluster");
    // The operator's own log goes to a file: the demo's lines stay readable, and the file says what it did.
    const logFile = join(REPO_ROOT, ".liftoff", `demo-operator-${ctx.options.namespace}.log`);
    const log = pino({ level: "info" }, pino.destination({ dest: logFile, mkdir: true, sync: false }));
    const op = await startOperator(
      parseConfig(
        [
          "--leader-elect=false",
          "--metrics-bind-address=127.0.0.1:0",
          `--namespaces=${ctx.options.namespace}`,
          // Drift and accuracy from the serving pods every 2 s (60 s by default), so the demo shows it at once.
          "--monitoring-period=2",
          // Run pods post progress and results to it (HTTPS, checked with a TokenReview).
          ...(await reportFlags(clusterName)),
          // Serving pods log in to the local OpenBao with their own projected token (spec.auth).
          `--vault-addr=${vaultConnection(clusterName).podAddress}`,
          "--vault-ca-configmap=kube-root-ca.crt",
          // The DataSets' access record: who read each encrypted version, from OpenBao's audit log.
          `--vault-audit-file=${openbaoLayout(clusterConfig(clusterName)).auditFile}`,
        ],
        process.env,
      ),
      { kubeConfig: kc, log: log.child({ component: "operator" }) },
    );
    ctx.onCleanup("operator", () => op.stop());
    await op.leading;
    return `metrics on http://127.0.0.1:${op.port}/metrics, log in ${logFile}`;
  },
};
