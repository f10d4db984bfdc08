// Fault 4: OpenBao sealed while serving. The pods hold the API keys they read and re-read them every 5 s
// (spec.auth.refreshSeconds), so the load (with a key) must go on; a third pod started while sealed cannot read the
// keys and must not become ready, and the ModelDeployment must say why (a condition or lastFailure naming the seal);
// on unseal it must come up. Target: 0 failed, the reason shown, 3 pods ready after unseal.
// Recovery time: from the unseal until 3 pods are ready.
import { applyObject, readObject } from "../../demo/kube.js";
import { deploy, type Env, mdepRef, modelDeployment } from "../env.js";
import { windowOf } from "../load.js";
import { type Row, seconds } from "../table.js";
import { sleep, startServingLoad, waitRolledOut } from "./serving.js";

/** Every message the ModelDeployment's status holds (conditions, last failure), for the seal to be named in. */
// biome-ignore lint/suspicious/noExplicitAny: status read back
function messages(m: Record<string, any>): string[] {
  const out: string[] = [];
  for (const c of m.status?.conditions ?? []) out.push(`${c.type}=${c.status} ${c.reason}: ${c.message ?? ""}`);
  if (m.status?.lastFailure) out.push(`lastFailure: ${m.status.lastFailure.message ?? ""}`);
  return out;
}

export async function vaultSeal(env: Env): Promise<Row> {
  const model = env.models[1];
  await deploy(env, model, 2);
  await waitRolledOut(env, 2, 120_000, model.digest);
  const serving = await startServingLoad(env);
  await sleep(3000);
  const t0 = performance.now();
  await env.vault.write("sys/seal", {});
  env.log("vault-seal: OpenBao sealed; serving on, then a third pod");
  let unsealed = false;
  let reason = "";
  let back: number | undefined;
  try {
    // Two refresh periods with the seal in place before anything else.
    await sleep(12_000);
    await applyObject(env.kc, modelDeployment(model, 3));
    const deadline = Date.now() + 180_000;
    while (!reason && Date.now() < deadline) {
      const said = messages(await readObject(env.kc, mdepRef)).find((l) => /seal/i.test(l));
      if (said) reason = said;
      else await sleep(500);
    }
  } finally {
    const tUnseal = performance.now();
    await env.unseal();
    unsealed = true;
    try {
      await waitRolledOut(env, 3, 300_000);
      back = performance.now() - tUnseal;
    } catch (err) {
      env.log(`vault-seal: ${(err as Error).message}`);
    }
  }
  await sleep(3000);
  await serving.stop();
  await applyObject(env.kc, modelDeployment(model, 2));
  const all = windowOf(serving.load.samples);
  const sealed = windowOf(serving.load.samples, t0);
  const ok = all.failed === 0 && reason !== "" && unsealed && back !== undefined;
  return {
    fault: "vault-seal",
    load: `${env.options.rate} req/s, 2 pods (+1 started sealed)`,
    sent: all.sent,
    failed: all.failed,
    dataLost: "-",
    recovery: back === undefined ? "3rd pod not ready" : `${seconds(back)} (3 pods ready)`,
    verdict: ok ? "pass" : "FAIL",
    note:
      `${sealed.sent} requests from the seal on, ${sealed.failed} failed; the new pod's reason: ` +
      `${reason ? `"${reason.slice(0, 240)}"` : "none naming the seal within 180 s"}; plaintext at rest not checked here` +
      (all.errors.length ? `; errors: ${all.errors.join("; ")}` : ""),
  };
}
