// Model monitoring end to end against a real Prometheus: it discovers the serving pods through the local API
// server (kubernetes_sd_configs, role pod), scrapes them and evaluates the PrometheusRule the operator wrote.
// Skewed traffic makes the drift alert fire while Drifted turns True on the ModelDeployment; normal traffic clears
// both; wrong-label feedback (some sent to the other replica, which forwards it) drives live accuracy below
// minAccuracy: Degraded and the accuracy alert. Windows are seconds long so the episode takes about a minute.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, inject, it } from "vitest";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { claimHostFolder } from "../../devcluster/node-agent/claim-folder.js";
import { mlp, saveLayersModel } from "../../runtime/src/serve/test-helpers.js";
import { installCrds, looseCrd, removeCrds } from "../support/crds.js";
import { kubeConfig, type Obj } from "../support/kube.js";
import { createModelDeployment, operatorFixture } from "../support/operator.js";
import { pollUntil } from "../support/poll.js";
import { startPrometheus, type TestPrometheus } from "../support/prometheus.js";
import { reportFlags } from "../support/report.js";

const admin = kubeConfig(inject("kubeconfig"));
const custom = admin.makeApiClient(CustomObjectsApi);
const core = admin.makeApiClient(CoreV1Api);
const CRDS = [looseCrd("monitoring.coreos.com", "PrometheusRule", "prometheusrules")];
// Serving pods push their counts to the operator's report endpoint (the operator no longer reads /monitoring).
const fx = operatorFixture(admin, "monitoring", {
  flags: async () => ["--leader-elect=false", "--monitoring-period=2", ...(await reportFlags(inject("clusterName")))],
  setup: () => installCrds(admin, CRDS),
});
const STATS = join(REPO_ROOT, "runtime/src/serve/monitoring/testdata/penguins-stats.json");
const stats = JSON.parse(readFileSync(STATS, "utf8")) as {
  columns: { name: string; histogram: { kind: string; edges?: number[] } }[];
};
const CLASSES = ["Adelie", "Chinstrap", "Gentoo"];
const WINDOW_SECONDS = 20;
const PROM_PORT = Number(process.env.LIFTOFF_PORT_BASE ?? 17440) + 40;
const PROM = `http://127.0.0.1:${PROM_PORT}`;

let prometheus: TestPrometheus | undefined;
let traffic: { stop(): Promise<void> } | undefined;
afterAll(async () => {
  await traffic?.stop();
  prometheus?.stop();
  await removeCrds(admin, CRDS);
});

const mdep = async (): Promise<Obj> =>
  (await custom.getNamespacedCustomObject({
    group: "liftoff.dev",
    version: "v1alpha1",
    namespace: fx.ns.name,
    plural: "modeldeployments",
    name: "penguins",
  })) as Obj;
const cond = (m: Obj, type: string) => m.status?.conditions?.find((c: Obj) => c.type === type);
const waitMdep = (what: string, test: (m: Obj) => boolean, timeoutMs = 90_000) =>
  pollUntil(
    what,
    async () => {
      const m = await mdep();
      return test(m) ? m : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );

async function alerts(): Promise<{ labels: Record<string, string>; state: string }[]> {
  const r = await fetch(`${PROM}/api/v1/alerts`);
  return ((await r.json()) as { data: { alerts: { labels: Record<string, string>; state: string }[] } }).data.alerts;
}
const firing = async (name: string) =>
  (await alerts()).filter((a) => a.labels.alertname === name && a.state === "firing");
const waitAlert = (name: string, on: boolean, timeoutMs = 90_000) =>
  pollUntil(`${name} ${on ? "firing" : "cleared"}`, async () => (await firing(name)).length > 0 === on, {
    timeoutMs,
    intervalMs: 500,
  });

/** One row per bin cycle: values inside the baseline's decile bins (normal) or beyond the last edge (skewed). */
function rows(n: number, skewed: boolean, seed: number): number[][] {
  return Array.from({ length: n }, (_, r) =>
    stats.columns
      .filter((c) => c.histogram.kind === "numeric")
      .map((c, f) => {
        const e = c.histogram.edges as number[];
        if (skewed) return (e.at(-1) as number) + 5;
        const bin = (seed * 7 + r * 3 + f) % (e.length + 1);
        if (bin === 0) return (e[0] as number) - 1;
        if (bin === e.length) return (e.at(-1) as number) + 1;
        return ((e[bin - 1] as number) + (e[bin] as number)) / 2;
      }),
  );
}

async function podUrls(): Promise<string[]> {
  const pods = await core.listNamespacedPod({
    namespace: fx.ns.name,
    labelSelector: "liftoff.dev/modeldeployment=penguins",
  });
  return pods.items
    .filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") && p.status.podIP)
    .map((p) => `http://${p.status?.podIP}:8080`)
    .sort();
}

async function predict(url: string, instances: number[][]): Promise<{ id: string; classes: number[] }> {
  const r = await fetch(`${url}/v1/models/penguins:predict`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ instances }),
  });
  if (r.status !== 200) throw new Error(`predict answered ${r.status}`);
  const body = (await r.json()) as { predictions: number[][] };
  return {
    id: r.headers.get("x-prediction-id") ?? "",
    classes: body.predictions.map((p) => p.indexOf(Math.max(...p))),
  };
}

/** Traffic every 250 ms to every pod; with `wrongFeedback`, each prediction also gets a wrong label. */
function startTraffic(urls: string[]) {
  const mode = { skewed: false, wrongFeedback: false, stopped: false, forwarded: 0 };
  const loop = (async () => {
    for (let tick = 0; !mode.stopped; tick++) {
      const url = urls[tick % urls.length] as string;
      try {
        const p = await predict(url, rows(10, mode.skewed, tick));
        if (mode.wrongFeedback) {
          // Every other feedback goes to the other replica, which forwards it to the one that predicted.
          const other = urls[(tick + (tick % 2)) % urls.length] as string;
          const r = await fetch(`${other}/v1/models/penguins:feedback`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              instances: p.classes.map((c, row) => ({ id: p.id, row, label: CLASSES[(c + 1) % 3] })),
            }),
          });
          if (r.status !== 200) throw new Error(`feedback answered ${r.status}: ${await r.text()}`);
          if (other !== url) mode.forwarded++;
        }
      } catch (err) {
        if (!mode.stopped) throw err;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    mode,
    loop,
    async stop() {
      mode.stopped = true;
      await loop;
    },
  };
}

describe("model monitoring with a real Prometheus", () => {
  it("fires and clears the drift alert with Drifted, and fires the accuracy alert from wrong feedback", {
    timeout: 420_000,
  }, async () => {
    const folder = await claimHostFolder(admin, fx.ns.name, "models");
    mkdirSync(join(folder, "penguins"), { recursive: true });
    const model = mlp(3, 8, 3, 1);
    await saveLayersModel(model, join(folder, "penguins"));
    // The artifact's stats.json, next to model.json. The model is untrained, so the prediction baseline is what it
    // predicts for normal traffic (a trained model's test split would show the same).
    const predicted: Record<string, number> = Object.fromEntries(CLASSES.map((c) => [c, 0]));
    for (let seed = 0; seed < 20; seed++) {
      const out = model.predict(tf.tensor2d(rows(10, false, seed))) as tf.Tensor;
      for (const c of (await out.argMax(1).array()) as number[]) {
        const label = CLASSES[c] as string;
        predicted[label] = (predicted[label] ?? 0) + 1;
      }
    }
    const artifactStats = { ...JSON.parse(readFileSync(STATS, "utf8")) };
    artifactStats.target.histogram.counts = predicted;
    writeFileSync(join(folder, "penguins", "stats.json"), JSON.stringify(artifactStats));
    await createModelDeployment(admin, fx.ns.name, "penguins", {
      model: { uri: "pvc://models/penguins/model.json" },
      replicas: 2,
      resources: { cpu: "250m", memory: "512Mi" },
      monitoring: {
        drift: { threshold: 0.25 },
        feedback: true,
        windowSeconds: WINDOW_SECONDS,
        alerts: { minAccuracy: 0.8 },
      },
    });
    await waitMdep(
      "Ready with 2 replicas",
      (m) => cond(m, "Ready")?.status === "True" && m.status.readyReplicas === 2,
      180_000,
    );

    // The operator wrote a PrometheusRule for this ModelDeployment; Prometheus loads it (as the Prometheus
    // Operator would) and finds the pods through the API server.
    const rule = (await custom.getNamespacedCustomObject({
      group: "monitoring.coreos.com",
      version: "v1",
      namespace: fx.ns.name,
      plural: "prometheusrules",
      name: "penguins",
    })) as Obj;
    expect(rule.spec.groups[0].rules.map((r: Obj) => r.alert)).toEqual(["LiftoffDrift", "LiftoffLowAccuracy"]);
    prometheus = await startPrometheus({
      binary: inject("prometheus"),
      kubeconfig: inject("kubeconfig"),
      namespace: fx.ns.name,
      port: PROM_PORT,
      rules: rule.spec,
    });
    await prometheus.waitTargets(2);

    const urls = await podUrls();
    expect(urls).toHaveLength(2);
    const t = startTraffic(urls);
    traffic = t;

    // Normal traffic: no drift.
    const calm = await waitMdep("Drifted False", (m) => cond(m, "Drifted")?.status === "False");
    expect(cond(calm, "Drifted")?.reason).toBe("NoDrift");
    expect(calm.status.monitoring.pods).toBe(2);
    expect((await firing("LiftoffDrift")).length).toBe(0);

    // Skewed traffic: every feature beyond its training range.
    t.mode.skewed = true;
    const drifted = await waitMdep("Drifted True", (m) => cond(m, "Drifted")?.status === "True");
    expect(cond(drifted, "Drifted")?.reason).toBe("DriftDetected");
    expect(drifted.status.monitoring.drift.score).toBeGreaterThan(0.25);
    expect(drifted.status.monitoring.drift.features[0].jensenShannon).toBeGreaterThan(0);
    await waitAlert("LiftoffDrift", true);
    const features = new Set((await firing("LiftoffDrift")).map((a) => a.labels.feature));
    expect(features).toContain("bill_length_mm");

    // Back to normal: both clear once the skewed rows leave the window.
    t.mode.skewed = false;
    await waitMdep("Drifted False again", (m) => cond(m, "Drifted")?.status === "False");
    await waitAlert("LiftoffDrift", false);

    // Wrong labels for every prediction: live accuracy 0 < minAccuracy 0.8.
    t.mode.wrongFeedback = true;
    const degraded = await waitMdep(
      "Degraded from accuracy",
      (m) => cond(m, "Degraded")?.reason === "AccuracyBelowThreshold",
    );
    expect(cond(degraded, "Degraded")?.status).toBe("True");
    expect(degraded.status.monitoring.quality.accuracy).toBe(0);
    await waitAlert("LiftoffLowAccuracy", true);
    expect(t.mode.forwarded).toBeGreaterThan(0);

    const events = await core.listNamespacedEvent({ namespace: fx.ns.name });
    const reasons = events.items.map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["DriftDetected", "NoDrift", "AccuracyBelowThreshold"]));
  });
});
