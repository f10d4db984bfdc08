// The local cluster (started if it is not running), a fresh namespace, and the operator in this process watching it
// with the progress interval a bench needs: what the cluster benches (bench:search, bench:distributed) start from.
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { ensureClusterUp } from "../../devcluster/cluster/cluster.js";
import { reportFlags } from "../../devcluster/cluster/report-flags.js";
import { parseConfig } from "../../operator/src/config.js";
import { startOperator } from "../../operator/src/operator.js";

export async function benchOperator(
  cluster: string,
  nsPrefix: string,
  progressSeconds: number,
  log: (l: string) => void,
) {
  const up = await ensureClusterUp(cluster, { log: (l) => log(l) });
  const kc = new KubeConfig();
  kc.loadFromFile(up.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const ns = `${nsPrefix}-${Math.random().toString(36).slice(2, 8)}`;
  await core.createNamespace({ body: { metadata: { name: ns } } });
  const op = await startOperator(
    parseConfig(
      [
        `--namespaces=${ns}`,
        "--metrics-bind-address=127.0.0.1:0",
        "--leader-elect=false",
        `--progress-interval=${progressSeconds}`,
        ...(await reportFlags(cluster)),
      ],
      {},
    ),
    { kubeConfig: kc, log: pino({ level: "silent" }) },
  );
  return { kc, core, ns, op };
}
