// The local cluster (started if it is not running), a fresh namespace, and the operator in this process watching it
// with the progress interval a bench needs: what the cluster benches (bench:search, bench:distributed) start from.
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import pino from "pino";
import { ensureClusterUp } from "../../devcluster/cluster/cluster.js";
import { reportFlags } from "../../devcluster/cluster/report-flags.js";
import { parseConfig } from "../../operator/src/config.js";
import { startOperator } from "../../operator/src/operator.js";

/** Polls `f` until it returns something (a throw counts as not yet), or fails naming `what` past the deadline. */
export async function until<T>(
  bench: string,
  what: string,
  f: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${bench}: ${what} not within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

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
  /**
   * Deletes the namespace while the operator still runs (it removes the DataSet's finalizer, which would otherwise
   * hold the namespace in Terminating), waits for it to go, then stops the operator.
   */
  const teardown = async () => {
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    await until(
      `bench:${nsPrefix}`,
      `namespace ${ns} to go`,
      async () => ((await core.readNamespace({ name: ns }).catch(() => undefined)) ? undefined : true),
      120_000,
    ).catch((err: Error) => log(err.message));
    await op.stop();
  };
  return { kc, core, ns, op, teardown };
}
