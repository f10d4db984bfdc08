// Fault 2: kill -9 of one of two serving pods under steady load (the node agent runs a container as a local process
// group: its PID is in the pod's containerID). Target: failed requests ≤ those in flight on that pod at the kill.
// The load re-sends once, to the other pod, a request that never reached a server (connection refused, or written to
// a kept-alive connection the dead process had left and reset before any answer), as a gateway with
// retry-on-connect-failure/reset does; how many were re-sent is reported beside the failures.
// Recovery time: from the kill until both pods are in the endpoints again (the container restarted and ready).
import { deploy, type Env } from "../env.js";
import { windowOf } from "../load.js";
import { type Row, seconds } from "../table.js";
import { containerPid, servingPods, sleep, startServingLoad, waitRolledOut } from "./serving.js";

export async function killPod(env: Env): Promise<Row> {
  await deploy(env, env.models[1], 2);
  await waitRolledOut(env, 2, 120_000, env.models[1].digest);
  const serving = await startServingLoad(env, { retryUnsent: true });
  await sleep(5000);
  const pods = await servingPods(env);
  const victim = pods.find((p) => serving.pool.size() === 2 && containerPid(p) !== undefined);
  const pid = victim && containerPid(victim);
  const name = victim?.metadata?.name ?? "";
  if (!victim || pid === undefined) {
    await serving.stop();
    throw new Error(`no serving pod with a local PID (pods: ${pods.map((p) => p.metadata?.name).join(", ")})`);
  }
  const t0 = performance.now();
  process.kill(-pid, "SIGKILL");
  // Out of the endpoints (container dead, pod not ready), then back in (restarted and ready).
  let left: number | undefined;
  let back: number | undefined;
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline && back === undefined) {
    const inPool = serving.pool.changes.filter((c) => c.at >= t0);
    if (left === undefined) left = inPool.find((c) => !c.pods.includes(name))?.at;
    if (left !== undefined) back = inPool.find((c) => c.at > (left ?? 0) && c.pods.length === 2)?.at;
    await sleep(200);
  }
  await sleep(5000);
  await serving.stop();
  const all = windowOf(serving.load.samples);
  const retried = serving.load.samples.filter((s) => s.retried).length;
  const retriedEarly = serving.load.samples.filter((s) => s.retried && s.start <= t0).length;
  // In flight at the kill: sent to that pod before it and not answered by then (read from the samples afterwards, so
  // a request written a moment before the signal counts).
  const inFlight = serving.load.samples.filter((s) => s.pod === name && s.start <= t0 && s.end >= t0).length;
  const failedLater = serving.load.samples.filter((s) => !s.ok && s.start > t0).length;
  const ok = all.failed <= inFlight && back !== undefined;
  return {
    fault: "kill-pod",
    load: `${env.options.rate} req/s, 2 pods`,
    sent: all.sent,
    failed: all.failed,
    dataLost: "-",
    recovery: back === undefined ? "not back in 180 s" : `${seconds(back - t0)} (2 pods ready)`,
    verdict: ok ? "pass" : "FAIL",
    note:
      `target failed ≤ in flight on the killed pod (${inFlight}); ${failedLater} of the failed were sent after the ` +
      `kill; SIGKILL to pod ${name}'s process group (pid ${pid}); ` +
      `out of the endpoints after ${seconds(left === undefined ? undefined : left - t0)}; ${retried} requests ` +
      `that never got an answer (connection refused, or reset on a kept-alive connection) re-sent to the other pod ` +
      `(${retriedEarly} of them sent before the kill); p99 ${all.p99Ms.toFixed(0)} ms` +
      (all.errors.length ? `; errors: ${all.errors.join("; ")}` : ""),
  };
}
