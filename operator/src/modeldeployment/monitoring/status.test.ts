import { describe, expect, it } from "vitest";
import type { ModelDeployment } from "../../api/v1alpha1/index.js";
import type { ResolvedModel } from "../model-source.js";
import { baselineFor } from "./baseline.js";
import { prometheusRule } from "./desired.js";
import type { Merged } from "./scores.js";
import { withMonitoring } from "./status.js";

const now = () => "2026-01-01T00:00:00Z";
const mdep = (monitoring: object, status: object = {}): ModelDeployment =>
  ({
    metadata: { name: "m", namespace: "ns", generation: 2 },
    spec: { model: { uri: "pvc://models/iris/model.json", format: "tfjs-layers" }, monitoring },
    status,
  }) as unknown as ModelDeployment;
const merged = (psi: number, rows = 500, extra: Partial<Merged> = {}): { merged: Merged } => ({
  merged: {
    pods: 2,
    windowSeconds: 600,
    rows,
    drift: {
      scores: [
        { name: "petal_length", source: "input", psi, jensenShannon: psi / 2 },
        { name: "species", source: "prediction", psi: psi / 3, jensenShannon: 0.01 },
      ],
      unmatched: [],
    },
    ...extra,
  },
});
const cond = (s: ReturnType<typeof withMonitoring>, type: string) => s.conditions?.find((c) => c.type === type);

describe("status.monitoring and conditions", () => {
  it("sets Drifted True above the threshold with the top features and their scores", () => {
    const s = withMonitoring({}, mdep({ drift: { threshold: 0.2 } }), { observation: merged(0.41234) }, now);
    expect(s.monitoring?.drift?.score).toBe(0.412);
    expect(s.monitoring?.drift?.features[0]).toEqual({
      name: "petal_length",
      source: "input",
      psi: 0.412,
      jensenShannon: 0.206,
    });
    expect(cond(s, "Drifted")).toMatchObject({
      status: "True",
      reason: "DriftDetected",
      message:
        "feature petal_length: PSI 0.412, Jensen-Shannon 0.206 > threshold 0.2 (500 rows in the last 600 s from 2 pods)",
      observedGeneration: 2,
    });
    expect(
      cond(withMonitoring({}, mdep({ drift: { threshold: 0.2 } }), { observation: merged(0.05) }, now), "Drifted")
        ?.reason,
    ).toBe("NoDrift");
  });

  it("gives no drift verdict on too few rows, unreachable pods or a missing baseline", () => {
    const d = mdep({ drift: { threshold: 0.2 } });
    const reason = (inp: Parameters<typeof withMonitoring>[2]) => cond(withMonitoring({}, d, inp, now), "Drifted");
    expect(reason({ observation: merged(3, 10) })).toMatchObject({ status: "Unknown", reason: "InsufficientData" });
    expect(reason({ observation: { unavailable: "no ready serving pod" } })).toMatchObject({
      reason: "MonitoringUnavailable",
    });
    expect(reason({ observation: undefined })).toMatchObject({ reason: "MonitoringPending" });
    expect(
      reason({ observation: merged(3, 500, { baselineError: "cannot read the baseline stats.json: ENOENT" }) }),
    ).toMatchObject({
      reason: "BaselineUnavailable",
      message: "the pods could not read the baseline: cannot read the baseline stats.json: ENOENT",
    });
    expect(
      reason({
        observation: merged(3),
        baselineFailure: { reason: "BaselineNotFound", message: "baseline DataSet d not found" },
      }),
    ).toMatchObject({ reason: "BaselineNotFound" });
  });

  it("sets Degraded from live accuracy below minAccuracy, keeping its transition time across reconciles", () => {
    const spec = { feedback: true, alerts: { minAccuracy: 0.8 } };
    const obs = merged(0, 500, {
      quality: {
        task: "classification",
        classes: ["a", "b"],
        confusion: [
          [5, 5],
          [5, 5],
        ],
      },
    });
    const healthy = {
      conditions: [
        {
          type: "Degraded",
          status: "False",
          reason: "Available",
          message: "no pod is failing",
          lastTransitionTime: "t0",
        },
      ],
    };
    const s = withMonitoring(healthy as never, mdep(spec), { observation: obs, testMetrics: { accuracy: 0.97 } }, now);
    expect(s.monitoring?.quality).toEqual({
      feedback: 20,
      accuracy: 0.5,
      macroF1: 0.5,
      minRecall: 0.5,
      test: { accuracy: 0.97 },
    });
    expect(cond(s, "Degraded")).toMatchObject({
      status: "True",
      reason: "AccuracyBelowThreshold",
      lastTransitionTime: now(),
    });
    // Next reconcile: computeStatus says Degraded False again; the breach keeps the earlier time.
    const again = withMonitoring(healthy as never, mdep(spec, s), { observation: obs }, () => "later");
    expect(cond(again, "Degraded")?.lastTransitionTime).toBe(now());
  });

  it("writes no monitoring status when monitoring is off", () => {
    expect(
      withMonitoring(
        { monitoring: { windowSeconds: 1, pods: 0, rows: 0 } },
        mdep(undefined as never),
        { observation: undefined },
        now,
      ),
    ).toEqual({});
  });
});

describe("baseline and PrometheusRule", () => {
  const model: ResolvedModel = { uri: "pvc://models/iris/model.json", format: "tfjs-layers", claim: "models" };
  it("reads the artifact's stats.json, or the DataSet's once Ready", () => {
    expect(baselineFor(mdep({ drift: { threshold: 0.2 } }), model, () => undefined)).toEqual({
      uri: "pvc://models/iris/stats.json",
      claim: "models",
    });
    const ref = mdep({ drift: { threshold: 0.2, baselineDataSetRef: { name: "penguins" } } });
    expect(baselineFor(ref, model, () => undefined)).toMatchObject({ failure: { reason: "BaselineNotFound" } });
    expect(baselineFor(ref, model, () => ({ status: { conditions: [] } }) as never)).toMatchObject({
      failure: { reason: "BaselineNotReady" },
    });
    const ready = { status: { output: "pvc://data/penguins/v1", conditions: [{ type: "Ready", status: "True" }] } };
    expect(baselineFor(ref, model, () => ready as never)).toEqual({
      uri: "pvc://data/penguins/v1/stats.json",
      claim: "data",
    });
    // An encrypted DataSet has only stats.json.enc: the condition says to use the artifact's stats.json instead.
    const encrypted = { ...ready, spec: { encryption: { transitKey: "k" } } };
    expect(baselineFor(ref, model, () => encrypted as never)).toMatchObject({
      failure: { reason: "BaselineUnavailable", message: expect.stringMatching(/is encrypted.*leave out/) },
    });
  });

  it("reads an s3:// baseline with the model's storage, or the DataSet's own (issue #27)", () => {
    const storage = { endpoint: "http://s3.example:8333" };
    const inBucket: ResolvedModel = { uri: "s3://models/iris/", format: "tfjs-layers", storage };
    expect(baselineFor(mdep({ drift: { threshold: 0.2 } }), inBucket, () => undefined)).toEqual({
      uri: "s3://models/iris/stats.json",
      storage,
    });
    const ref = mdep({ drift: { threshold: 0.2, baselineDataSetRef: { name: "penguins" } } });
    const dsStorage = { endpoint: "http://data.example:8333" };
    const ds = {
      spec: { storage: dsStorage },
      status: { output: "s3://data/penguins/v1", conditions: [{ type: "Ready", status: "True" }] },
    };
    expect(baselineFor(ref, inBucket, () => ds as never)).toEqual({
      uri: "s3://data/penguins/v1/stats.json",
      storage: dsStorage,
    });
    expect(baselineFor(ref, inBucket, () => ({ ...ds, spec: {} }) as never)).toEqual({
      uri: "s3://data/penguins/v1/stats.json",
      storage,
    });
  });

  it("builds one alert per configured threshold, scoped to the ModelDeployment, only with the CRD", () => {
    const d = mdep({
      drift: { threshold: 0.25 },
      feedback: true,
      windowSeconds: 30,
      alerts: { minAccuracy: 0.9, p99LatencyMs: 50 },
    });
    expect(prometheusRule(d, { serviceMonitor: true, gatewayAPI: false })).toBeUndefined();
    const rule = prometheusRule(d, { serviceMonitor: true, gatewayAPI: false, prometheusRule: true }) as {
      spec: { groups: { rules: { alert: string; expr: string; for: string }[] }[] };
    };
    const rules = rule.spec.groups[0]?.rules ?? [];
    expect(rules.map((r) => r.alert)).toEqual(["LiftoffHighLatencyP99", "LiftoffDrift", "LiftoffLowAccuracy"]);
    for (const r of rules) {
      expect(r.expr).toContain('namespace="ns",model="m"');
      expect(r.expr).toContain("[30s]");
      expect(r.for).toBe("6s");
    }
    expect(rules[1]?.expr).toMatch(/> 0\.25 and on/);
  });
});
