// Step: traffic unlike the training data (heavier penguins with longer flippers) turns the Drifted condition on;
// shown as `kubectl get mdep` shows it.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { waitForCondition } from "../kube.js";
import { need, type Step } from "../steps.js";
import type { LabelledRecord } from "../test-split.js";
import { predictRequest } from "./serve.js";

const exec = promisify(execFile);

/** The same records, shifted far from the training distribution (pure). */
export function skewed(records: LabelledRecord[]): Record<string, unknown>[] {
  return records.map(({ record }) => ({
    ...record,
    body_mass_g: Number(record.body_mass_g) + 2500,
    flipper_length_mm: Number(record.flipper_length_mm) + 40,
  }));
}

export const driftStep: Step = {
  name: "drift",
  title: "send skewed traffic (+2.5 kg, +40 mm flippers) and wait for the Drifted condition",
  async run(ctx) {
    if (ctx.options.reuseCluster) return "skipped";
    const kc = need(ctx.kc, "the cluster");
    const records = need(ctx.results.get("testRecords") as LabelledRecord[] | undefined, "the test records");
    const ns = ctx.options.namespace;
    // Several windows' worth of rows: drift is judged from 50 rows on.
    for (let i = 0; i < 4; i++) await predictRequest(ctx, skewed(records));
    const ref = { kind: "ModelDeployment", namespace: ns, name: "penguins" } as const;
    const drifted = await waitForCondition(kc, ref, "Drifted", { timeoutMs: 120_000, intervalMs: 500 });
    const table = await exec(need(ctx.kubectl, "kubectl"), ["get", "mdep", "penguins", "-n", ns], {
      env: { ...process.env, KUBECONFIG: need(ctx.kubeconfigPath, "the kubeconfig") },
    });
    ctx.log(`  $ kubectl get mdep penguins -n ${ns}`);
    for (const line of table.stdout.trimEnd().split("\n")) ctx.log(`  ${line}`);
    ctx.log(`  Drifted=True ${drifted.reason}: ${drifted.message}`);
    return "Drifted=True";
  },
};
