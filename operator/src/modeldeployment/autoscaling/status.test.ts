import { describe, expect, it } from "vitest";
import type { ModelDeployment, ModelDeploymentSpec, ModelDeploymentStatus } from "../../api/v1alpha1/index.js";
import type { Deployment, HorizontalPodAutoscaler, ScaledObject } from "../../kube/models.js";
import { Reason } from "../../reasons.js";
import { withAutoscaling } from "./status.js";

type Autoscaling = NonNullable<ModelDeploymentSpec["autoscaling"]>;
const NOW = "2026-12-07T03:30:00Z";
const now = () => NOW;

function mdep(a: Partial<Autoscaling> = {}, status: ModelDeploymentStatus = {}): ModelDeployment {
  return {
    metadata: { name: "churn", namespace: "ml", generation: 2 },
    spec: {
      model: { uri: "https://m.example/model.json", format: "tfjs-layers" },
      autoscaling: { minReplicas: 1, maxReplicas: 6, metric: "concurrency", target: 10, windowSeconds: 30, ...a },
    },
    status,
  };
}

const READY: ModelDeploymentStatus = {
  conditions: [
    { type: "Ready", status: "True", reason: "Available", message: "2/2", lastTransitionTime: NOW },
    { type: "Degraded", status: "False", reason: "Available", message: "no pod is failing", lastTransitionTime: NOW },
  ],
};

const deployment = (spec: number, status: number): Deployment => ({
  metadata: { name: "churn-predictor" },
  spec: { replicas: spec, selector: {}, template: {} },
  status: { replicas: status },
});

function kedaHpa(over: Partial<NonNullable<HorizontalPodAutoscaler["status"]>> = {}): HorizontalPodAutoscaler {
  return {
    metadata: { name: "keda-hpa-churn-predictor", namespace: "ml" },
    spec: { scaleTargetRef: { kind: "Deployment", name: "churn-predictor" }, maxReplicas: 6 },
    status: {
      currentReplicas: 2,
      desiredReplicas: 3,
      lastScaleTime: "2026-12-07T03:29:00Z",
      currentMetrics: [
        {
          type: "External",
          external: { metric: { name: "s0-concurrency" }, current: { averageValue: "7500m" } },
        },
      ],
      conditions: [{ type: "ScalingActive", status: "True", reason: "ValidMetricFound" }],
      ...over,
    },
  };
}

describe("withAutoscaling", () => {
  it("reports KEDA's HPA: replicas, the metric per pod against its target, and the Scale summary", () => {
    const s = withAutoscaling(READY, mdep(), { engine: "keda", hpa: kedaHpa(), deployment: deployment(3, 2) }, now);
    expect(s.autoscaling).toEqual({
      engine: "keda",
      currentReplicas: 2,
      desiredReplicas: 3,
      metric: "concurrency",
      current: "7.5",
      target: 10,
      summary: "2/3 conc 7.5/10",
      lastScaleTime: "2026-12-07T03:29:00Z",
    });
    expect(s.conditions).toEqual(READY.conditions);
  });

  it("says 0/0 idle at zero, where KEDA's HPA is disabled on purpose (not Degraded)", () => {
    const hpa = kedaHpa({
      conditions: [{ type: "ScalingActive", status: "False", reason: "ScalingDisabled", message: "replicas 0" }],
    });
    const s = withAutoscaling(
      READY,
      mdep({ minReplicas: 0 }),
      { engine: "keda", hpa, deployment: deployment(0, 0) },
      now,
    );
    expect(s.autoscaling).toMatchObject({ currentReplicas: 0, desiredReplicas: 0, summary: "0/0 idle" });
    expect(s.autoscaling).not.toHaveProperty("current");
    expect(s.conditions?.find((c) => c.type === "Degraded")?.status).toBe("False");
  });

  it("shows CPU in percent from our HPA's Resource metric", () => {
    const hpa: HorizontalPodAutoscaler = {
      metadata: { name: "churn" },
      status: {
        currentReplicas: 1,
        desiredReplicas: 1,
        currentMetrics: [{ type: "Resource", resource: { name: "cpu", current: { averageUtilization: 45 } } }],
      },
    };
    const s = withAutoscaling(READY, mdep({ metric: "cpu", target: 70 }), { engine: "hpa", hpa }, now);
    expect(s.autoscaling?.summary).toBe("1/1 cpu 45%/70%");
  });

  it("falls back to the Deployment until the HPA reports, with an unknown metric", () => {
    const s = withAutoscaling(READY, mdep(), { engine: "keda", deployment: deployment(1, 1) }, now);
    expect(s.autoscaling?.summary).toBe("1/1 conc ?/10");
  });

  it("marks Degraded with the HPA's own reason when it cannot read its metric", () => {
    const hpa = kedaHpa({
      conditions: [
        {
          type: "ScalingActive",
          status: "False",
          reason: "FailedGetExternalMetric",
          message: "unable to get external metric ml/s0-concurrency: no matching metrics found",
        },
      ],
    });
    const s = withAutoscaling(READY, mdep(), { engine: "keda", hpa, deployment: deployment(2, 2) }, now);
    expect(s.conditions?.find((c) => c.type === "Degraded")).toMatchObject({
      status: "True",
      reason: Reason.AutoscalingMetricsUnavailable,
      message:
        "HorizontalPodAutoscaler keda-hpa-churn-predictor cannot scale: FailedGetExternalMetric: unable to get external metric ml/s0-concurrency: no matching metrics found",
    });
    expect(s.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  it("keeps activeSince while the ScaledObject stays active, and drops it when it is not", () => {
    const so = (active: string): ScaledObject => ({
      spec: { scaleTargetRef: { name: "churn-predictor" }, triggers: [] },
      status: { conditions: [{ type: "Active", status: active }] },
    });
    const obs = { engine: "keda" as const, hpa: kedaHpa(), deployment: deployment(3, 2) };
    const first = withAutoscaling(READY, mdep({ minReplicas: 0 }), { ...obs, scaledObject: so("True") }, now);
    expect(first.autoscaling?.activeSince).toBe(NOW);
    if (!first.autoscaling) throw new Error("no status.autoscaling");
    const later = withAutoscaling(
      READY,
      mdep({ minReplicas: 0 }, { autoscaling: { ...first.autoscaling, activeSince: "2026-12-07T03:00:00Z" } }),
      { ...obs, scaledObject: so("True") },
      now,
    );
    expect(later.autoscaling?.activeSince).toBe("2026-12-07T03:00:00Z");
    const idle = withAutoscaling(READY, mdep({ minReplicas: 0 }), { ...obs, scaledObject: so("False") }, now);
    expect(idle.autoscaling).not.toHaveProperty("activeSince");
  });

  it("adds nothing without spec.autoscaling", () => {
    const m = mdep();
    delete m.spec.autoscaling;
    expect(withAutoscaling(READY, m, { engine: "hpa" }, now)).toEqual(READY);
  });
});
