import { describe, expect, it } from "vitest";
import type { ModelDeployment, ModelDeploymentSpec } from "../../api/v1alpha1/index.js";
import type { Capabilities } from "../../capabilities.js";
import type { DesiredObject } from "../../children/child.js";
import type { KubeObject } from "../../kube/types.js";
import { Reason } from "../../reasons.js";
import { autoscalingEngine, canaryReplicas, type DesiredContext, desiredObjects } from "../desired.js";
import type { ResolvedModel } from "../model-source.js";
import { ACTIVATOR_ANNOTATION } from "./activation.js";
import { chooseEngine } from "./engine.js";
import { BEHAVIOR_ANNOTATION } from "./hpa.js";
import { concurrencyQuery } from "./keda.js";
import { scaleToZeroSettings } from "./settings.js";

type Autoscaling = NonNullable<ModelDeploymentSpec["autoscaling"]>;

const STABLE: ResolvedModel = { uri: "https://models.example/churn/v1/model.json", format: "tfjs-layers" };
const CANARY: ResolvedModel = { uri: "https://models.example/churn/v2/model.json", format: "tfjs-layers" };
const ALL_APIS = { resource: true, custom: true, external: true };
const KEDA: Capabilities = { serviceMonitor: false, gatewayAPI: false, keda: true, metricsAPIs: ALL_APIS };
const NO_KEDA: Capabilities = { serviceMonitor: false, gatewayAPI: false, keda: false, metricsAPIs: ALL_APIS };
const NOTHING: Capabilities = {
  serviceMonitor: false,
  gatewayAPI: false,
  keda: false,
  metricsAPIs: { resource: false, custom: false, external: false },
};
const ACTIVATOR = [
  { ip: "10.0.0.7", port: 8012 },
  { ip: "10.0.0.5", port: 8012 },
];

const auto = (over: Partial<Autoscaling> = {}): Autoscaling => ({
  minReplicas: 1,
  maxReplicas: 6,
  metric: "concurrency",
  target: 10,
  windowSeconds: 30,
  ...over,
});

function mdep(spec: Partial<ModelDeploymentSpec> = {}): ModelDeployment {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: "churn", namespace: "ml", uid: "uid-1", generation: 1 },
    spec: { model: { uri: STABLE.uri, format: "tfjs-layers" }, ...spec },
  };
}

function ctx(capabilities: Capabilities, over: Partial<DesiredContext> = {}): DesiredContext {
  return {
    runtimeImage: "registry.local/liftoff-runtime:1",
    stable: STABLE,
    capabilities,
    autoscaling: { prometheusUrl: "http://prom.monitoring:9090", pollingSeconds: 5, activatorAddresses: ACTIVATOR },
    ...over,
  };
}

const find = (objects: DesiredObject[], kind: string, name?: string): KubeObject | undefined =>
  objects.find((o) => o.object.kind === kind && (name === undefined || o.object.metadata?.name === name))?.object;
function get(objects: DesiredObject[], kind: string, name?: string): KubeObject {
  const o = find(objects, kind, name);
  if (!o) throw new Error(`no ${kind} ${name ?? ""}`);
  return o;
}
const kinds = (objects: DesiredObject[]) => objects.map((o) => `${o.object.kind}/${o.object.metadata?.name}`).sort();

describe("metric concurrency with KEDA", () => {
  const objects = desiredObjects(mdep({ autoscaling: auto({ minReplicas: 2, target: 16 }) }), ctx(KEDA));

  it("makes a ScaledObject on the stable Deployment with one Little's-law prometheus trigger, and no HPA", () => {
    expect(find(objects, "HorizontalPodAutoscaler")).toBeUndefined();
    const so = get(objects, "ScaledObject", "churn-predictor");
    expect(so.apiVersion).toBe("keda.sh/v1alpha1");
    expect(so.metadata?.labels).toMatchObject({
      "liftoff.dev/modeldeployment": "churn",
      "liftoff.dev/track": "stable",
    });
    expect(so.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "churn-predictor" },
      pollingInterval: 5,
      minReplicaCount: 2,
      maxReplicaCount: 6,
      triggers: [
        {
          type: "prometheus",
          name: "concurrency",
          metricType: "AverageValue",
          metadata: {
            serverAddress: "http://prom.monitoring:9090",
            query:
              'sum(rate(liftoff_inference_request_duration_seconds_sum{namespace="ml",pod=~"churn-predictor-[a-z0-9]+-[a-z0-9]+"}[30s])) or vector(0)',
            threshold: "16",
            activationThreshold: "0",
          },
        },
      ],
    });
  });

  it("keeps the public Service's selector and makes no Endpoints when minReplicas is 1 or more", () => {
    expect(get(objects, "Service", "churn").spec.selector).toEqual({
      "liftoff.dev/modeldeployment": "churn",
      "liftoff.dev/track": "stable",
    });
    expect(find(objects, "Endpoints")).toBeUndefined();
    expect(find(objects, "Service", "churn-predictor")).toBeUndefined();
  });

  it("passes spec.autoscaling.behavior through to KEDA's HPA", () => {
    const behavior = {
      scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods" as const, value: 4, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: "Min" as const },
    };
    const so = get(desiredObjects(mdep({ autoscaling: auto({ behavior }) }), ctx(KEDA)), "ScaledObject");
    expect(so.spec.advanced).toEqual({ horizontalPodAutoscalerConfig: { behavior } });
  });

  it("notes the behavior in an annotation, so removing it is an apply (server-side apply then drops it)", () => {
    const behavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
    const withIt = get(desiredObjects(mdep({ autoscaling: auto({ behavior }) }), ctx(KEDA)), "ScaledObject");
    const without = get(desiredObjects(mdep({ autoscaling: auto() }), ctx(KEDA)), "ScaledObject");
    expect(withIt.metadata?.annotations?.[BEHAVIOR_ANNOTATION]).toBe('{"scaleDown":{"stabilizationWindowSeconds":60}}');
    expect(without.metadata?.annotations?.[BEHAVIOR_ANNOTATION]).toBe("default");
    const hpa = get(desiredObjects(mdep({ autoscaling: auto() }), ctx(NO_KEDA)), "HorizontalPodAutoscaler");
    expect(hpa.metadata?.annotations?.[BEHAVIOR_ANNOTATION]).toBe("default");
  });
});

describe("concurrencyQuery", () => {
  it("matches the track's pods and not those of a ModelDeployment named <name>-predictor", () => {
    const q = concurrencyQuery("ml", "a-predictor", 10);
    const re = new RegExp(`^(?:${/pod=~"([^"]+)"/.exec(q)?.[1]})$`);
    expect(re.test("a-predictor-7d9f8b6c5-x2k4p")).toBe(true);
    expect(re.test("a-predictor-predictor-7d9f8b6c5-x2k4p")).toBe(false);
    expect(re.test("a-canary-7d9f8b6c5-x2k4p")).toBe(false);
    expect(q).toContain("[10s]");
  });
});

describe("our HorizontalPodAutoscaler", () => {
  it("scales on the Pods metric through a custom metrics adapter when KEDA is absent, with behavior", () => {
    const behavior = { scaleDown: { policies: [{ type: "Percent" as const, value: 50, periodSeconds: 30 }] } };
    const objects = desiredObjects(mdep({ autoscaling: auto({ behavior }) }), ctx(NO_KEDA));
    expect(find(objects, "ScaledObject")).toBeUndefined();
    expect(get(objects, "HorizontalPodAutoscaler", "churn").spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "churn-predictor" },
      minReplicas: 1,
      maxReplicas: 6,
      metrics: [
        {
          type: "Pods",
          pods: {
            metric: { name: "liftoff_inference_requests_in_flight" },
            target: { type: "AverageValue", averageValue: "10" },
          },
        },
      ],
      behavior,
    });
  });

  it("scales metric cpu with our HPA even where KEDA is installed", () => {
    const objects = desiredObjects(mdep({ autoscaling: auto({ metric: "cpu", target: 70 }) }), ctx(KEDA));
    expect(find(objects, "ScaledObject")).toBeUndefined();
    expect(get(objects, "HorizontalPodAutoscaler").spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
    ]);
  });
});

describe("chooseEngine: what the cluster serves", () => {
  it("refuses metric concurrency with neither KEDA nor a custom metrics adapter, naming both", () => {
    const c = chooseEngine(auto(), { capabilities: NOTHING });
    expect(c).toEqual({
      reason: Reason.AutoscalingMetricsUnavailable,
      message: expect.stringContaining(
        "metric concurrency needs KEDA (ScaledObject CRD keda.sh/v1alpha1) or a custom metrics adapter serving custom.metrics.k8s.io; neither is installed",
      ),
    });
  });

  it("refuses metric cpu without metrics.k8s.io, naming metrics-server", () => {
    const c = chooseEngine(auto({ metric: "cpu", target: 50 }), { capabilities: NOTHING });
    expect(c).toMatchObject({ reason: Reason.AutoscalingMetricsUnavailable });
    expect("message" in c && c.message).toContain("v1beta1.metrics.k8s.io, served by metrics-server");
  });

  it("refuses minReplicas 0 without KEDA, and without the activator or its address", () => {
    const zero = auto({ minReplicas: 0 });
    expect(chooseEngine(zero, { capabilities: NO_KEDA, activator: { addresses: 1 } })).toMatchObject({
      reason: Reason.AutoscalingMetricsUnavailable,
      message: expect.stringContaining("autoscaling.minReplicas 0 needs KEDA"),
    });
    expect(chooseEngine(zero, { capabilities: KEDA })).toMatchObject({
      reason: Reason.ActivatorUnavailable,
      message: expect.stringContaining("--activator-bind-address"),
    });
    expect(chooseEngine(zero, { capabilities: KEDA, activator: { addresses: 0 } })).toMatchObject({
      reason: Reason.ActivatorUnavailable,
      message: expect.stringContaining("--activator-advertise"),
    });
    expect(chooseEngine(zero, { capabilities: KEDA, activator: { addresses: 2 } })).toEqual({ engine: "keda" });
  });

  it("counts metrics APIs it could not detect as served (the HPA as before)", () => {
    expect(chooseEngine(auto(), { capabilities: { serviceMonitor: false, gatewayAPI: false } })).toEqual({
      engine: "hpa",
    });
  });

  it("builds no autoscaler when none can work", () => {
    const m = mdep({ autoscaling: auto() });
    expect(autoscalingEngine(m, ctx(NOTHING))).toMatchObject({ reason: Reason.AutoscalingMetricsUnavailable });
    const objects = desiredObjects(m, ctx(NOTHING));
    expect(find(objects, "ScaledObject")).toBeUndefined();
    expect(find(objects, "HorizontalPodAutoscaler")).toBeUndefined();
  });
});

describe("scale to zero (minReplicas 0)", () => {
  const spec = {
    autoscaling: auto({
      minReplicas: 0,
      scaleToZero: { idleSeconds: 120, activationTimeoutSeconds: 30, queueLimit: 50 },
    }),
  };

  it("puts the activator behind the public Service: no selector, Endpoints at the activator's addresses, http only", () => {
    const objects = desiredObjects(mdep(spec), ctx(KEDA));
    const svc = get(objects, "Service", "churn");
    expect(svc.spec).not.toHaveProperty("selector");
    expect(svc.metadata?.annotations).toEqual({ [ACTIVATOR_ANNOTATION]: "true" });
    const ep = get(objects, "Endpoints", "churn");
    expect(ep.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "ModelDeployment",
      uid: "uid-1",
      controller: true,
    });
    expect(ep.subsets).toEqual([
      { addresses: [{ ip: "10.0.0.5" }, { ip: "10.0.0.7" }], ports: [{ name: "http", port: 8012, protocol: "TCP" }] },
    ]);
  });

  it("keeps the stable track Service the activator forwards to, and scales to zero after idleSeconds", () => {
    const objects = desiredObjects(mdep(spec), ctx(KEDA));
    expect(get(objects, "Service", "churn-predictor").spec.selector).toEqual({
      "liftoff.dev/modeldeployment": "churn",
      "liftoff.dev/track": "stable",
    });
    const so = get(objects, "ScaledObject", "churn-predictor");
    expect(so.spec).toMatchObject({ minReplicaCount: 0, maxReplicaCount: 6, cooldownPeriod: 120 });
    expect(get(objects, "Deployment", "churn-predictor").spec).not.toHaveProperty("replicas");
  });

  it("gives a canary its own ScaledObject and track Service, with no fixed replica count", () => {
    const m = mdep({ ...spec, canary: { model: { uri: CANARY.uri, format: "tfjs-layers" }, trafficPercent: 20 } });
    const objects = desiredObjects(m, ctx(KEDA, { canary: CANARY }));
    expect(kinds(objects)).toEqual(
      expect.arrayContaining([
        "ScaledObject/churn-predictor",
        "ScaledObject/churn-canary",
        "Service/churn-predictor",
        "Service/churn-canary",
        "Endpoints/churn",
      ]),
    );
    const canarySO = get(objects, "ScaledObject", "churn-canary");
    expect(canarySO.spec.scaleTargetRef.name).toBe("churn-canary");
    expect(canarySO.spec.minReplicaCount).toBe(0);
    expect(canarySO.spec.triggers[0].metadata.query).toContain('pod=~"churn-canary-[a-z0-9]+-[a-z0-9]+"');
    expect(canaryReplicas(m)).toBeUndefined();
    expect(get(objects, "Deployment", "churn-canary").spec).not.toHaveProperty("replicas");
  });

  it("keeps the selector and makes no Endpoints while the activator is off (the spec is refused instead)", () => {
    const objects = desiredObjects(mdep(spec), ctx(KEDA, { autoscaling: {} }));
    expect(find(objects, "Endpoints")).toBeUndefined();
    expect(find(objects, "ScaledObject")).toBeUndefined();
    expect(get(objects, "Service", "churn").spec.selector).toBeDefined();
  });

  it("fills scaleToZero's defaults when it is omitted", () => {
    expect(scaleToZeroSettings(auto({ minReplicas: 0 }))).toEqual({
      idleSeconds: 300,
      activationTimeoutSeconds: 60,
      queueLimit: 100,
    });
  });
});
