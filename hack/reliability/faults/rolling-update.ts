// Fault 1: the ModelDeployment's model changes (another model version, another digest) under steady load.
// Target: 0 failed requests, and the new version answering once the rollout is done. Recovery time: from the
// change until the rollout has finished (every pod new and available).
import { applyObject } from "../../demo/kube.js";
import { deploy, type Env, modelDeployment } from "../env.js";
import { windowOf } from "../load.js";
import { type Row, seconds } from "../table.js";
import { sleep, startServingLoad, waitRolledOut } from "./serving.js";

export async function rollingUpdate(env: Env): Promise<Row> {
  const [from, to] = env.models;
  await deploy(env, from, 2);
  await waitRolledOut(env, 2, 120_000, from.digest);
  const serving = await startServingLoad(env);
  await sleep(5000);
  const t0 = performance.now();
  await applyObject(env.kc, modelDeployment(to, 2));
  let rolledOut: number | undefined;
  try {
    await waitRolledOut(env, 2, 300_000, to.digest);
    rolledOut = performance.now() - t0;
  } catch (err) {
    env.log(`rolling-update: ${(err as Error).message}`);
  }
  // The old pods are still terminating when the rollout counts them gone: keep the load on until they are.
  const tDone = performance.now();
  await sleep(10_000);
  await serving.stop();
  const all = windowOf(serving.load.samples);
  const after = windowOf(serving.load.samples, t0);
  const late = serving.load.samples.filter((s) => s.ok && s.start > tDone + 5000);
  const stale = late.filter((s) => s.answer !== `v${to.bias}`).length;
  const ok = all.failed === 0 && rolledOut !== undefined && late.length > 0 && stale === 0;
  return {
    fault: "rolling-update",
    load: `${env.options.rate} req/s, 2 pods`,
    sent: all.sent,
    failed: all.failed,
    dataLost: "-",
    recovery: rolledOut === undefined ? "not rolled out" : `${seconds(rolledOut)} (rollout)`,
    verdict: ok ? "pass" : "FAIL",
    note:
      `target 0 failed; ${from.digest.slice(0, 19)}… → ${to.digest.slice(0, 19)}…; ${after.sent} requests from the ` +
      `change on, p99 ${after.p99Ms.toFixed(0)} ms; ${late.length - stale}/${late.length} answers 5 s after the ` +
      `rollout from the new version` +
      (all.errors.length ? `; errors: ${all.errors.join("; ")}` : ""),
  };
}
