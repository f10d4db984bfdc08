// DP-SGD TrainingJobs on the local cluster (real operator, OpenBao, node agent) on the demo's encrypted penguins
// DataSet: a job with a targetEpsilon reports the ε it has spent in status.progress.privacy while it runs, ends at or
// below its target, and its final ε is Opacus' RDPAccountant's for the same sampling rate, noise multiplier, steps
// and δ within 1 % (Opacus runs in hack/opacus-venv.sh's venv); the model's liftoff.json records the same. A target
// no noise can reach fails before training with PrivacyBudgetUnreachable, naming the smallest reachable ε.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { applyObject, readObject, waitForCondition } from "../../hack/demo/kube.js";
import { DEMO_STEPS } from "../../hack/demo/plan.js";
import { loadSample } from "../../hack/demo/samples.js";
import { plantDataKeyRoles } from "../../hack/demo/vault.js";
import type { DataSet, TrainingJob } from "../../operator/src/api/v1alpha1/index.js";
import { vaultRole } from "../../operator/src/dataset/desired.js";
import { dataSetNames } from "../../operator/src/dataset/names.js";
import { trainingVaultRole } from "../../operator/src/trainingjob/desired.js";
import { trainingNames } from "../../operator/src/trainingjob/names.js";
import { type DemoRun, runDemoSteps } from "../support/demo-run.js";
import { kubeConfig } from "../support/kube.js";
import { opacusAccountant } from "../support/opacus.js";

const kc = kubeConfig(inject("kubeconfig"));
const cluster = { clusterName: inject("clusterName"), kubeconfig: inject("kubeconfig"), kubectl: inject("kubectl") };
// The demo up to its encrypted penguins DataSet: no TrainingJob of its own, no serving.
const STEPS = DEMO_STEPS.slice(0, DEMO_STEPS.findIndex((s) => s.name === "dataset") + 1);
const CLAIM = "liftoff-data";
// Batch 2 for 60 epochs: several thousand noisy steps, long enough that a progress report (every 5 s) lands mid-run.
const EPOCHS = 60;
const BATCH = 2;
let run: DemoRun | undefined;
let ns = "";

/** The penguins sample TrainingJob under another name with hyperparameters.privacy, and a Vault role for its pod. */
async function dpJob(name: string, privacy: Record<string, unknown>): Promise<void> {
  const ds = loadSample("dataset", ns) as unknown as DataSet;
  const tj = loadSample("trainingjob", ns) as unknown as TrainingJob;
  tj.metadata = { ...tj.metadata, name, namespace: ns };
  const { earlyStopping: _e, ...hp } = tj.spec.hyperparameters ?? {};
  tj.spec = {
    ...tj.spec,
    hyperparameters: { ...hp, epochs: EPOCHS, batchSize: BATCH, learningRate: 0.01, privacy } as never,
    output: { claimName: CLAIM, path: `models/${name}` },
  };
  await plantDataKeyRoles(cluster.clusterName, {
    namespace: ns,
    transitKey: ds.spec.encryption?.transitKey ?? "",
    dataSet: { role: vaultRole(ds), serviceAccount: dataSetNames(ds.metadata?.name ?? "").serviceAccount },
    trainingJob: { role: trainingVaultRole(tj), serviceAccount: trainingNames(name).serviceAccount },
  });
  await applyObject(kc, tj as never);
}

beforeAll(async () => {
  run = await runDemoSteps(kc, "tj-dp", cluster, { steps: STEPS });
  if (!run.ok) throw new Error(`the penguins DataSet failed:\n${run.lines.join("\n")}`);
  ns = run.namespace;
}, 600_000);

afterAll(async () => {
  await run?.close();
}, 120_000);

describe("a DP-SGD TrainingJob on the local cluster", () => {
  it("reports ε live, ends at or below targetEpsilon, and matches Opacus' accountant within 1 %", {
    timeout: 600_000,
  }, async () => {
    const name = "penguins-dp";
    await dpJob(name, { l2NormClip: 1, targetEpsilon: 2 });
    const ref = { kind: "TrainingJob", namespace: ns, name } as const;
    // Every status.progress.privacy seen while the job runs.
    const seen: { percentage: number; epsilon: number; steps: number }[] = [];
    await waitForCondition(kc, ref, "Succeeded", {
      timeoutMs: 540_000,
      intervalMs: 200,
      onPoll: (o) => {
        const p = o.status?.progress;
        if (p?.privacy) seen.push({ percentage: p.percentage, epsilon: p.privacy.epsilon, steps: p.privacy.steps });
      },
    });
    const tj = await readObject(kc, ref);
    const ds = await readObject(kc, { kind: "DataSet", namespace: ns, name: "penguins" });
    const rows = ds.status.rows.train as number;
    const stepsPerEpoch = Math.ceil(rows / BATCH);
    const privacy = tj.status.progress.privacy;
    expect(privacy.steps).toBe(EPOCHS * stepsPerEpoch);
    expect(privacy.delta).toBe(1e-5); // no delta given: 1/rows rounded down to a power of ten is 1e-3; at most 1e-5
    expect(privacy.epsilon).toBeLessThanOrEqual(2);
    expect(privacy.epsilon).toBeGreaterThan(1.99);
    // Live: a report from the middle of the run carried a smaller ε than the end.
    const mid = seen.find((s) => s.percentage < 100);
    expect(mid, JSON.stringify(seen.slice(0, 5))).toBeDefined();
    expect(mid?.epsilon).toBeLessThan(privacy.epsilon);
    expect(mid?.steps).toBeLessThan(privacy.steps);

    const peer = await opacusAccountant([
      { q: 1 / stepsPerEpoch, sigma: privacy.noiseMultiplier, steps: privacy.steps, delta: privacy.delta },
    ]);
    const opacus = peer.epsilon[0] as number;
    expect(Math.abs(privacy.epsilon / opacus - 1)).toBeLessThan(0.01);

    // The artifact's lineage records the same privacy.
    const folder = await claimHostFolder(kc, ns, CLAIM);
    const modelPath = String(tj.status.model.uri).replace(`pvc://${CLAIM}/`, "");
    const lineage = JSON.parse(readFileSync(join(folder, modelPath, "liftoff.json"), "utf8"));
    expect(lineage.privacy).toMatchObject({ ...privacy, accountant: "rdp", l2NormClip: 1, sampling: "poisson" });
    expect(lineage.privacy.sampleRate).toBeCloseTo(1 / stepsPerEpoch, 12);
    expect(tj.status.finalMetrics.accuracy).toBeGreaterThan(0.5); // three species; chance is ~0.44 for the largest

    // kubectl get tj -o wide shows it as EPSILON.
    const { stdout } = await promisify(execFile)(cluster.kubectl, ["get", "tj", name, "-n", ns, "-o", "wide"], {
      env: { ...process.env, KUBECONFIG: cluster.kubeconfig },
    });
    const [head = "", row = ""] = stdout.trimEnd().split("\n");
    // Cells by the header's column starts (an empty ETA cell is blank, not absent).
    const starts = [...head.matchAll(/(?:^|\s{2,})(\S)/g)].map((m) => (m.index ?? 0) + m[0].length - 1);
    const cells = (line: string) => starts.map((from, i) => line.slice(from, starts[i + 1]).trim());
    const at = cells(head).indexOf("EPSILON");
    expect(at, head).toBeGreaterThan(0);
    expect(Number(cells(row)[at])).toBe(privacy.epsilon);
  });

  it("fails a targetEpsilon no noise can reach before training, naming the smallest reachable ε", {
    timeout: 300_000,
  }, async () => {
    const name = "penguins-dp-unreachable";
    await dpJob(name, { l2NormClip: 1, targetEpsilon: 0.01 });
    const ref = { kind: "TrainingJob", namespace: ns, name } as const;
    await waitForCondition(kc, ref, "Failed", { timeoutMs: 240_000, failOn: [] });
    const tj = await readObject(kc, ref);
    const failed = tj.status.conditions.find((c: { type: string }) => c.type === "Failed");
    expect(failed.reason).toBe("PrivacyBudgetUnreachable");
    expect(failed.message).toMatch(/targetEpsilon 0\.01 cannot be reached .*the smallest reachable ε is \d/);
    expect(tj.status.progress?.privacy).toBeUndefined();
  });
});
