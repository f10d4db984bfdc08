// Per-track monitoring against the real runtime and operator (issue #28): a monitored ModelDeployment with a canary.
// The canary's pod gets the report channel and pushes; its counts are merged apart from the stable track's, so
// status.monitoring stays the stable model's while the operator's per-track accuracy gauge shows both. Feedback for
// canary predictions is sent to the stable pod, which forwards it to the canary pod that made them.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { describe, expect, inject, it } from "vitest";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { mlp, saveLayersModel } from "../../runtime/src/serve/test-helpers.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { reportFlags } from "../support/report.js";

const admin = kubeConfig(inject("kubeconfig"));
const custom = admin.makeApiClient(CustomObjectsApi);
const core = admin.makeApiClient(CoreV1Api);
const fx = operatorFixture(admin, "canary-figures", {
  flags: async () => ["--leader-elect=false", "--monitoring-period=2", ...(await reportFlags(inject("clusterName")))],
});

const mdep = async (): Promise<Obj> =>
  (await custom.getNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: fx.ns.name,
    plural: "modeldeployments",
    name: "penguins",
  })) as Obj;

/** The ready pod of each track, by its liftoff.dev/track label. */
async function trackUrls(): Promise<Record<string, string>> {
  const pods = await core.listNamespacedPod({
    namespace: fx.ns.name,
    labelSelector: "liftoff.dev/modeldeployment=penguins",
  });
  const out: Record<string, string> = {};
  for (const p of pods.items) {
    const ready = p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    const track = p.metadata?.labels?.["liftoff.dev/track"];
    if (ready && track && p.status?.podIP) out[track] = `http://${p.status.podIP}:8080`;
  }
  return out;
}

async function post(url: string, verb: "predict" | "feedback", body: unknown): Promise<Response> {
  return fetch(`${url}/v1/models/penguins:${verb}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** One prediction of 10 rows at `url`, then feedback for it sent to `via`: right labels, or each one class off. */
async function predictAndLabel(url: string, via: string, right: boolean, seed: number): Promise<void> {
  const instances = Array.from({ length: 10 }, (_, r) => [40 + ((seed + r) % 15), 15 + (r % 5), 180 + seed]);
  const p = await post(url, "predict", { instances });
  expect(p.status).toBe(200);
  const id = p.headers.get("x-prediction-id") ?? "";
  const classes = ((await p.json()) as { predictions: number[][] }).predictions.map((x) => x.indexOf(Math.max(...x)));
  // No baseline: the classes are the output's indices.
  const labels = classes.map((c, row) => ({ id, row, label: String(right ? c : (c + 1) % 3) }));
  const f = await post(via, "feedback", { instances: labels });
  expect([f.status, await f.text()]).toEqual([200, expect.stringContaining('"accepted":10')]);
}

describe("per-track monitoring of a canary", () => {
  it("the canary pushes, its counts merge apart, and feedback reaches it through a stable pod", {
    timeout: 300_000,
  }, async () => {
    const folder = await claimHostFolder(admin, fx.ns.name, "models");
    for (const dir of ["stable", "canary"]) {
      mkdirSync(join(folder, dir), { recursive: true });
      await saveLayersModel(mlp(3, 8, 3, 1), join(folder, dir));
    }
    await createModelDeployment(admin, fx.ns.name, "penguins", {
      model: { uri: "pvc://models/stable/model.json" },
      replicas: 1,
      resources: { cpu: "250m", memory: "512Mi" },
      canary: { model: { uri: "pvc://models/canary/model.json" }, trafficPercent: 50, replicas: 1 },
      monitoring: { feedback: true, windowSeconds: 120 },
    });
    const urls = await pollUntil(
      "a ready pod on each track",
      async () => {
        const u = await trackUrls();
        return u.stable && u.canary ? u : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    ).catch(async (err: Error) => {
      // Say why: the ModelDeployment's conditions and its pods' phases.
      const o = await mdep();
      const pods = await core.listNamespacedPod({ namespace: fx.ns.name });
      const seen = pods.items.map((p) => `${p.metadata?.name} ${p.status?.phase} ${p.status?.message ?? ""}`);
      throw new Error(`${err.message}; status ${JSON.stringify(o.status)}; pods ${seen.join(", ")}`);
    });
    const stable = urls.stable as string;
    const canary = urls.canary as string;

    // Stable predictions get wrong labels, canary predictions right ones, sent to the stable pod (forwarded).
    for (let i = 0; i < 5; i++) {
      await predictAndLabel(stable, stable, false, i);
      await predictAndLabel(canary, stable, true, i);
    }

    const series = async () =>
      Object.fromEntries(
        (await fx.op.metrics.trackAccuracy.get()).values
          .filter((v) => v.labels.name === "penguins")
          .map((v) => [v.labels.track, v.value]),
      );
    const both = await pollUntil(
      "both tracks' accuracy",
      async () => {
        const s = await series();
        return s.stable !== undefined && s.canary === 1 ? s : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(both).toEqual({ stable: 0, canary: 1 });

    // status.monitoring is the stable track's alone: 50 wrong feedback from one pod, none of the canary's.
    const m = await pollUntil(
      "status.monitoring of the stable track",
      async () => {
        const o = await mdep();
        return o.status?.monitoring?.quality?.feedback === 50 ? o : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(m.status.monitoring.pods).toBe(1);
    expect(m.status.monitoring.quality.accuracy).toBe(0);
  });
});
