// Fault 3: kube-apiserver and etcd stopped (by PID, as devcluster stops them) while serving under steady load and
// while a DataSet prepares, then started again. Target: serving unaffected (0 failed: the pods and the endpoints
// they were given do not need the control plane), the DataSet finishes Ready, and it has exactly one Job.
// Recovery time: from the restart until the API server answers again, and until the DataSet is Ready.
import { join } from "node:path";
import { startComponent, stopComponent } from "../../../devcluster/cluster/cluster.js";
import { condition, waitSettled } from "../../../test/support/dataset.js";
import { deleteAndWait } from "../../demo/kube.js";
import type { EndpointPool } from "../endpoints.js";
import { deploy, type Env, NS } from "../env.js";
import { windowOf } from "../load.js";
import { type Row, seconds } from "../table.js";
import { versions } from "../versions.js";
import { applyDataSet, jobsOf, podsOfJob, writeSources } from "./datasets.js";
import { containerPid, sleep, startServingLoad, waitRolledOut } from "./serving.js";

const NAME = "control-plane";

/** The endpoint changes since `t0`, "+12.3 s: 2 pods", to see when the rotation emptied. */
function endpointHistory(pool: EndpointPool, t0: number): string {
  return pool.changes
    .filter((c) => c.at >= t0)
    .map((c) => `+${seconds(c.at - t0)}: ${c.pods.length} pods`)
    .join(", ");
}
const OUT = "out/control-plane";
const DOWN_MS = 20_000;

export async function controlPlane(env: Env): Promise<Row> {
  await deploy(env, env.models[1], 2);
  await waitRolledOut(env, 2, 120_000, env.models[1].digest);
  // A fresh DataSet each run: one left from an earlier run would already be prepared.
  await deleteAndWait(env.kc, { kind: "DataSet", namespace: NS, name: NAME }, 120_000);
  const src = writeSources(env.dataFolder, 200);
  const serving = await startServingLoad(env);
  await sleep(3000);
  await applyDataSet(env.kc, NS, NAME, src.large, OUT);
  // Down while the prepare pod runs (not merely while its Job waits for a pod): it must report to the operator,
  // which checks its token with the API server, after the control plane is back.
  const deadline = Date.now() + 180_000;
  let pod = "";
  while (!pod) {
    for (const job of await jobsOf(env.kc, NS, NAME)) {
      const running = (await podsOfJob(env.kc, NS, job)).find((p) => p.status?.phase === "Running" && containerPid(p));
      if (running) pod = running.metadata?.name ?? "";
    }
    if (Date.now() > deadline) throw new Error("the DataSet's prepare pod was not running within 180 s");
    if (!pod) await sleep(100);
  }
  const t0 = performance.now();
  await stopComponent(env.clusterName, "kube-apiserver");
  await stopComponent(env.clusterName, "etcd");
  env.log(`control-plane: kube-apiserver and etcd stopped; serving on for ${DOWN_MS / 1000} s`);
  await sleep(DOWN_MS);
  const tRestart = performance.now();
  await startComponent(env.clusterName, "etcd");
  await startComponent(env.clusterName, "kube-apiserver");
  const apiBack = performance.now() - tRestart;
  env.log(`control-plane: back after ${seconds(apiBack)}`);
  let ds: Awaited<ReturnType<typeof waitSettled>> | undefined;
  let error = "";
  try {
    ds = await waitSettled(env.kc, NS, NAME, 300_000);
  } catch (err) {
    error = (err as Error).message;
  }
  const dsDone = performance.now() - tRestart;
  await sleep(3000);
  await serving.stop();
  const all = windowOf(serving.load.samples);
  const during = windowOf(serving.load.samples, t0, tRestart + apiBack);
  const jobs = await jobsOf(env.kc, NS, NAME);
  const ready = ds !== undefined && condition(ds, "Ready")?.status === "True";
  const v = versions(join(env.dataFolder, OUT));
  const ok = all.failed === 0 && ready && jobs.length === 1 && v.broken.length === 0;
  return {
    fault: "control-plane",
    load: `${env.options.rate} req/s, 2 pods; 1 DataSet`,
    sent: all.sent,
    failed: all.failed,
    dataLost: v.broken.length === 0 ? "none" : `half-written: ${v.broken.join(", ")}`,
    recovery: `${seconds(apiBack)} (API), ${ready ? seconds(dsDone) : "not"} (DataSet Ready)`,
    verdict: ok ? "pass" : "FAIL",
    note:
      `API server and etcd down ${seconds(DOWN_MS)} while prepare pod ${pod} ran; ${during.sent} requests while down, ` +
      `${during.failed} failed; Jobs for the DataSet: ${jobs.length} (target 1)` +
      (ready ? "" : `; DataSet: ${error || JSON.stringify(ds?.status?.conditions ?? []).slice(0, 300)}`) +
      (all.errors.length ? `; errors: ${all.errors.join("; ")}` : "") +
      (all.failed > 0 ? `; endpoints seen: ${endpointHistory(serving.pool, t0)}` : ""),
  };
}
