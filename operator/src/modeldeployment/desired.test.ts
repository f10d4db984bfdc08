import { describe, expect, it } from "vitest";
import type { ModelDeployment, ModelDeploymentSpec } from "../api/v1alpha1/index.js";
import type { DesiredObject } from "../children/child.js";
import { RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import {
  type Capabilities,
  canaryReplicas,
  type DesiredContext,
  desiredObjects,
  MODEL_CACHE_PATH,
  ownerReference,
  PVC_ROOT,
  SHUTDOWN_DELAY_SECONDS,
  stableReplicas,
  usesHTTPRoute,
} from "./desired.js";
import type { ResolvedModel } from "./model-source.js";

const IMAGE = "registry.local/liftoff-runtime:1";
const REPORT_SETTINGS = { url: "https://10.88.0.1:9443/v1/report", caPem: "PEM" };
const NONE: Capabilities = { serviceMonitor: false, gatewayAPI: false };
const STABLE: ResolvedModel = { uri: "https://models.example/churn/v1/model.json", format: "tfjs-layers" };
const CANARY: ResolvedModel = { uri: "https://models.example/churn/v2/model.json", format: "tfjs-layers" };

function mdep(spec: Partial<ModelDeploymentSpec> = {}): ModelDeployment {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: "churn", namespace: "ml", uid: "uid-1", generation: 1 },
    spec: { model: { uri: STABLE.uri, format: "tfjs-layers" }, ...spec },
  };
}

function ctx(over: Partial<DesiredContext> = {}): DesiredContext {
  return { runtimeImage: IMAGE, stable: STABLE, capabilities: NONE, ...over };
}

const canarySpec = (trafficPercent: number, replicas?: number): NonNullable<ModelDeploymentSpec["canary"]> => ({
  model: { uri: CANARY.uri, format: "tfjs-layers" },
  trafficPercent,
  ...(replicas !== undefined ? { replicas } : {}),
});

function find(objects: DesiredObject[], kind: string, name?: string): KubeObject | undefined {
  return objects.find((o) => o.object.kind === kind && (name === undefined || o.object.metadata?.name === name))
    ?.object;
}

function get(objects: DesiredObject[], kind: string, name?: string): KubeObject {
  const o = find(objects, kind, name);
  if (!o) throw new Error(`no ${kind} ${name ?? ""} among ${objects.map((x) => x.object.kind).join(", ")}`);
  return o;
}

const kinds = (objects: DesiredObject[]) => objects.map((o) => `${o.object.kind}/${o.object.metadata?.name}`);
const runtime = (dep: KubeObject) => dep.spec.template.spec.containers[0];
const envOf = (dep: KubeObject): Record<string, unknown> =>
  Object.fromEntries(
    runtime(dep).env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );

describe("desiredObjects: the basic set", () => {
  const objects = desiredObjects(mdep(), ctx());

  it("owns a ServiceAccount, a Deployment, a Service and a NetworkPolicy, and nothing optional", () => {
    expect(kinds(objects)).toEqual([
      "ServiceAccount/churn-runtime",
      "Deployment/churn-predictor",
      "Service/churn",
      "NetworkPolicy/churn",
    ]);
  });

  it("sets a controlling owner reference that blocks owner deletion on every object", () => {
    const expected = {
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "ModelDeployment",
      name: "churn",
      uid: "uid-1",
      controller: true,
      blockOwnerDeletion: true,
    };
    expect(ownerReference(mdep())).toEqual(expected);
    for (const o of objects) {
      expect(o.object.metadata?.ownerReferences).toEqual([expected]);
      expect(o.object.metadata?.namespace).toBe("ml");
      expect(o.object.metadata?.labels).toMatchObject({
        "liftoff.dev/modeldeployment": "churn",
        "app.kubernetes.io/managed-by": "liftoff",
      });
    }
  });

  it("pairs each object with its resource type", () => {
    expect(objects.map((o) => o.resource)).toEqual([
      RESOURCES.ServiceAccount,
      RESOURCES.Deployment,
      RESOURCES.Service,
      RESOURCES.NetworkPolicy,
    ]);
    for (const o of objects) expect(o.object.apiVersion).toBe(o.resource.group ? `${o.resource.group}/v1` : "v1");
  });

  it("runs one replica of the runtime image with default CPU and memory, no GPU", () => {
    const dep = get(objects, "Deployment");
    expect(dep.spec.replicas).toBe(1);
    expect(dep.spec.selector).toEqual({
      matchLabels: { "liftoff.dev/modeldeployment": "churn", "liftoff.dev/track": "stable" },
    });
    const c = runtime(dep);
    expect(c.image).toBe(IMAGE);
    expect(c.args).toEqual(["serve"]);
    expect(c.resources).toEqual({
      requests: { cpu: "500m", memory: "512Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    });
    expect(dep.spec.template.spec.tolerations).toBeUndefined();
  });

  it("uses a restricted security context for the pod and the container", () => {
    const pod = get(objects, "Deployment").spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe("churn-runtime");
    expect(runtime(get(objects, "Deployment")).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("probes the Open Inference health endpoints on the named http port", () => {
    const c = runtime(get(objects, "Deployment"));
    expect(c.startupProbe.httpGet).toEqual({ path: "/v2/health/live", port: "http", scheme: "HTTP" });
    expect(c.livenessProbe.httpGet.path).toBe("/v2/health/live");
    expect(c.readinessProbe.httpGet.path).toBe("/v2/health/ready");
    // Every second while starting and for readiness (a cold start waits for the next readiness probe), with the
    // same 5 minutes to start.
    expect([c.startupProbe.periodSeconds, c.startupProbe.failureThreshold]).toEqual([1, 300]);
    expect([c.readinessProbe.periodSeconds, c.readinessProbe.failureThreshold]).toEqual([1, 10]);
    expect(c.ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "grpc", containerPort: 8081, protocol: "TCP" },
    ]);
  });

  it("passes the pod IP by the downward API and the model by env, without batching", () => {
    const env = envOf(get(objects, "Deployment"));
    expect(env.POD_IP).toEqual({ fieldRef: { fieldPath: "status.podIP" } });
    expect(env.LIFTOFF_MODEL_URI).toBe(STABLE.uri);
    expect(env.LIFTOFF_MODEL_NAME).toBe("churn");
    expect(env.LIFTOFF_MODEL_VERSION).toBe("stable");
    expect(env).not.toHaveProperty("LIFTOFF_MAX_BATCH_SIZE");
    expect(env).not.toHaveProperty("LIFTOFF_MAX_LATENCY_MS");
    expect(env).not.toHaveProperty("LIFTOFF_MODEL_DIGEST");
  });

  it("finding: a rolling update drops no requests: after SIGTERM a pod serves on, not ready, until endpoints drop it", () => {
    const dep = get(objects, "Deployment");
    // Without the delay the runtime closed its port at once and refused what kube-proxy still sent it.
    expect(envOf(dep).LIFTOFF_SHUTDOWN_DELAY_MS).toBe(String(SHUTDOWN_DELAY_SECONDS * 1000));
    expect(SHUTDOWN_DELAY_SECONDS).toBeGreaterThanOrEqual(5);
    // SIGKILL only after the delay and time for in-flight requests (the runtime's 30 s request timeout).
    expect(dep.spec.template.spec.terminationGracePeriodSeconds).toBe(SHUTDOWN_DELAY_SECONDS + 30);
    // A new pod is ready before an old one goes.
    expect(dep.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
  });

  it("annotates pods for Prometheus scraping when no ServiceMonitor CRD exists", () => {
    expect(get(objects, "Deployment").spec.template.metadata.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "8080",
      "prometheus.io/path": "/metrics",
    });
  });

  it("exposes the stable pods on port 80 through a ClusterIP Service", () => {
    expect(get(objects, "Service", "churn").spec).toEqual({
      type: "ClusterIP",
      selector: { "liftoff.dev/modeldeployment": "churn", "liftoff.dev/track": "stable" },
      ports: [
        { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
        { name: "grpc", port: 8081, targetPort: "grpc", protocol: "TCP", appProtocol: "kubernetes.io/h2c" },
      ],
    });
  });

  it("is deterministic: the same input gives deep-equal output", () => {
    const spec: Partial<ModelDeploymentSpec> = {
      replicas: 3,
      resources: { gpu: 1, cpu: "2", memory: "4Gi" },
      batching: { maxBatchSize: 16, maxLatencyMs: 2 },
      canary: canarySpec(20),
      gateway: { parentRef: { name: "gw" } },
      networkPolicy: { allowedNamespaces: ["web"] },
    };
    const c = ctx({ canary: CANARY, capabilities: { serviceMonitor: true, gatewayAPI: true } });
    expect(desiredObjects(mdep(spec), c)).toEqual(desiredObjects(mdep(spec), c));
    expect(JSON.stringify(desiredObjects(mdep(spec), c))).toBe(JSON.stringify(desiredObjects(mdep(spec), c)));
  });
});

describe("desiredObjects: resources and scheduling", () => {
  it("requests and limits GPUs and tolerates the nvidia.com/gpu taint", () => {
    const dep = get(desiredObjects(mdep({ resources: { gpu: 2, cpu: 1, memory: "2Gi" } }), ctx()), "Deployment");
    const amounts = { cpu: "1", memory: "2Gi", "nvidia.com/gpu": "2" };
    expect(runtime(dep).resources).toEqual({ requests: amounts, limits: amounts });
    expect(dep.spec.template.spec.tolerations).toEqual([
      { key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" },
    ]);
  });

  it("keeps the user's tolerations and does not duplicate a GPU toleration they gave", () => {
    const own = { key: "nvidia.com/gpu", operator: "Equal" as const, value: "present", effect: "NoSchedule" as const };
    const spot = { key: "spot", operator: "Exists" as const };
    const dep = get(desiredObjects(mdep({ resources: { gpu: 1 }, tolerations: [spot, own] }), ctx()), "Deployment");
    expect(dep.spec.template.spec.tolerations).toEqual([spot, own]);
    const wildcard = get(
      desiredObjects(mdep({ resources: { gpu: 1 }, tolerations: [{ operator: "Exists" }] }), ctx()),
      "Deployment",
    );
    expect(wildcard.spec.template.spec.tolerations).toEqual([{ operator: "Exists" }]);
  });

  it("adds no GPU toleration without GPUs but keeps user tolerations and the node selector", () => {
    const spec = { tolerations: [{ key: "spot", operator: "Exists" as const }], nodeSelector: { pool: "cpu" } };
    const pod = get(desiredObjects(mdep(spec), ctx()), "Deployment").spec.template.spec;
    expect(pod.tolerations).toEqual([{ key: "spot", operator: "Exists" }]);
    expect(pod.nodeSelector).toEqual({ pool: "cpu" });
  });

  it("sets batching env only when batching is set", () => {
    const env = envOf(
      get(desiredObjects(mdep({ batching: { maxBatchSize: 64, maxLatencyMs: 3 } }), ctx()), "Deployment"),
    );
    expect(env.LIFTOFF_MAX_BATCH_SIZE).toBe("64");
    expect(env.LIFTOFF_MAX_LATENCY_MS).toBe("3");
  });

  it("passes the model digest when known", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    const env = envOf(get(desiredObjects(mdep(), ctx({ stable: { ...STABLE, digest } })), "Deployment"));
    expect(env.LIFTOFF_MODEL_DIGEST).toBe(digest);
  });

  it("an onnx model gets its format and onnxruntime threads = the CPU limit; a TF.js model's pod has neither", () => {
    const onnx: ResolvedModel = { uri: "pvc://models/minilm/model.onnx", format: "onnx", claim: "models" };
    const env = envOf(get(desiredObjects(mdep(), ctx({ stable: onnx })), "Deployment"));
    expect(env.LIFTOFF_MODEL_FORMAT).toBe("onnx");
    expect(env.LIFTOFF_ONNX_THREADS).toEqual({
      resourceFieldRef: { containerName: "runtime", resource: "limits.cpu" },
    });
    const tfjs = envOf(get(desiredObjects(mdep(), ctx()), "Deployment"));
    expect(tfjs).not.toHaveProperty("LIFTOFF_MODEL_FORMAT");
    expect(tfjs).not.toHaveProperty("LIFTOFF_ONNX_THREADS");
  });

  it("a tf-savedmodel gets its format, tags and signature; unset ones are left to the runtime's defaults", () => {
    const sm: ResolvedModel = {
      uri: "pvc://models/classifier",
      format: "tf-savedmodel",
      claim: "models",
      savedModel: { tags: ["serve", "gpu"], signature: "by_id" },
    };
    const env = envOf(get(desiredObjects(mdep(), ctx({ stable: sm })), "Deployment"));
    expect(env.LIFTOFF_MODEL_FORMAT).toBe("tf-savedmodel");
    expect(env.LIFTOFF_SAVEDMODEL_TAGS).toBe("serve,gpu");
    expect(env.LIFTOFF_SAVEDMODEL_SIGNATURE).toBe("by_id");
    expect(env).not.toHaveProperty("LIFTOFF_ONNX_THREADS");
    const { savedModel: _, ...bare } = sm;
    const defaults = envOf(get(desiredObjects(mdep(), ctx({ stable: bare })), "Deployment"));
    expect(defaults.LIFTOFF_MODEL_FORMAT).toBe("tf-savedmodel");
    expect(defaults).not.toHaveProperty("LIFTOFF_SAVEDMODEL_TAGS");
    expect(defaults).not.toHaveProperty("LIFTOFF_SAVEDMODEL_SIGNATURE");
  });

  it("a gguf pod gets the memory limit in bytes (the runtime's ModelTooLarge check of file + KV cache)", () => {
    const gguf: ResolvedModel = { uri: "pvc://models/smol/model.gguf", format: "gguf", claim: "models" };
    const env = envOf(get(desiredObjects(mdep(), ctx({ stable: gguf })), "Deployment"));
    expect(env.LIFTOFF_MODEL_FORMAT).toBe("gguf");
    expect(env.LIFTOFF_MEMORY_LIMIT).toEqual({
      resourceFieldRef: { containerName: "runtime", resource: "limits.memory" },
    });
  });

  describe("an onnx pod's model cache, memory limit and GPU (issue #25)", () => {
    const onnx: ResolvedModel = { uri: "pvc://models/minilm/model.onnx", format: "onnx", claim: "models" };
    const podOf = (spec: Partial<ModelDeploymentSpec>, over: Partial<DesiredContext> = {}) =>
      get(desiredObjects(mdep(spec), ctx({ stable: onnx, ...over })), "Deployment");
    const cacheVolume = (dep: KubeObject) =>
      dep.spec.template.spec.volumes.find((v: { name: string }) => v.name === "model-cache");

    it("gets the memory limit in bytes and the cache folder with its bound", () => {
      const env = envOf(podOf({}));
      expect(env.LIFTOFF_MEMORY_LIMIT).toEqual({
        resourceFieldRef: { containerName: "runtime", resource: "limits.memory" },
      });
      expect(env.LIFTOFF_MODEL_CACHE).toBe(MODEL_CACHE_PATH);
      expect(env.LIFTOFF_MODEL_CACHE_BYTES).toBe(String(20 * 1024 ** 3));
      expect(runtime(podOf({})).volumeMounts).toContainEqual({ name: "model-cache", mountPath: MODEL_CACHE_PATH });
    });

    it.each([
      ["by default, the pod's own emptyDir of the bound", undefined, { emptyDir: { sizeLimit: "20Gi" } }],
      [
        "with --model-cache-hostpath, the node folder every pod of the node shares",
        { hostPath: "/var/cache/liftoff/models", maxBytes: 5 * 1024 ** 3 },
        { hostPath: { path: "/var/cache/liftoff/models", type: "DirectoryOrCreate" } },
      ],
    ])("the cache volume: %s", (_, modelCache, want) => {
      expect(cacheVolume(podOf({}, { modelCache }))).toEqual({ name: "model-cache", ...want });
    });

    it("LIFTOFF_GPU only with spec.resources.gpu", () => {
      expect(envOf(podOf({ resources: { gpu: 1 } })).LIFTOFF_GPU).toBe("true");
      expect(envOf(podOf({}))).not.toHaveProperty("LIFTOFF_GPU");
    });

    it("with a GPU, the stable pods get the report channel to push a fallback to the CPU (GPUFallback)", () => {
      const report = { settings: REPORT_SETTINGS, periodSeconds: 30 };
      const env = envOf(podOf({ resources: { gpu: 1 } }, { report }));
      expect(env.LIFTOFF_REPORT_URL).toBe(REPORT_SETTINGS.url);
      expect(env.LIFTOFF_MONITORING_REPORT_SECONDS).toBe("30");
      expect(envOf(podOf({}, { report }))).not.toHaveProperty("LIFTOFF_REPORT_URL");
    });

    it("a TF.js model's pod has none of them", () => {
      const dep = get(desiredObjects(mdep({ resources: { gpu: 1 } }), ctx()), "Deployment");
      for (const name of ["LIFTOFF_MEMORY_LIMIT", "LIFTOFF_MODEL_CACHE", "LIFTOFF_MODEL_CACHE_BYTES", "LIFTOFF_GPU"]) {
        expect(envOf(dep)).not.toHaveProperty(name);
      }
      expect(cacheVolume(dep)).toBeUndefined();
    });
  });

  it("mounts the claim read-only for a pvc:// model", () => {
    const stable: ResolvedModel = { uri: "pvc://models/churn/model.json", format: "tfjs-layers", claim: "models" };
    const dep = get(
      desiredObjects(mdep({ model: { uri: stable.uri, format: "tfjs-layers" } }), ctx({ stable })),
      "Deployment",
    );
    expect(dep.spec.template.spec.volumes).toContainEqual({
      name: "model",
      persistentVolumeClaim: { claimName: "models", readOnly: true },
    });
    expect(runtime(dep).volumeMounts).toContainEqual({
      name: "model",
      mountPath: `${PVC_ROOT}/models`,
      readOnly: true,
    });
    expect(envOf(dep).LIFTOFF_PVC_ROOT).toBe(PVC_ROOT);
  });

  it("mounts no model volume for an http model", () => {
    const dep = get(desiredObjects(mdep(), ctx()), "Deployment");
    expect(dep.spec.template.spec.volumes.map((v: { name: string }) => v.name)).toEqual(["tmp"]);
    expect(runtime(dep).volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
  });
});

describe("desiredObjects: replicas, autoscaling and disruption budget", () => {
  it("omits Deployment replicas with autoscaling and scales on concurrency through a Pods metric", () => {
    const objects = desiredObjects(
      mdep({ autoscaling: { minReplicas: 2, maxReplicas: 8, metric: "concurrency", target: 16, windowSeconds: 30 } }),
      ctx(),
    );
    expect(get(objects, "Deployment").spec).not.toHaveProperty("replicas");
    expect(get(objects, "HorizontalPodAutoscaler", "churn").spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "churn-predictor" },
      minReplicas: 2,
      maxReplicas: 8,
      metrics: [
        {
          type: "Pods",
          pods: {
            metric: { name: "liftoff_inference_requests_in_flight" },
            target: { type: "AverageValue", averageValue: "16" },
          },
        },
      ],
    });
  });

  it("scales on CPU utilisation with metric cpu", () => {
    const hpa = get(
      desiredObjects(
        mdep({ autoscaling: { minReplicas: 1, maxReplicas: 3, metric: "cpu", target: 70, windowSeconds: 30 } }),
        ctx(),
      ),
      "HorizontalPodAutoscaler",
    );
    expect(hpa.spec.metrics).toEqual([
      { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
    ]);
  });

  it("creates a PodDisruptionBudget only for more than one replica", () => {
    expect(find(desiredObjects(mdep({ replicas: 1 }), ctx()), "PodDisruptionBudget")).toBeUndefined();
    expect(find(desiredObjects(mdep({ replicas: 0 }), ctx()), "PodDisruptionBudget")).toBeUndefined();
    expect(
      find(
        desiredObjects(
          mdep({ autoscaling: { minReplicas: 1, maxReplicas: 5, metric: "cpu", target: 50, windowSeconds: 30 } }),
          ctx(),
        ),
        "PodDisruptionBudget",
      ),
    ).toBeUndefined();
    expect(get(desiredObjects(mdep({ replicas: 2 }), ctx()), "PodDisruptionBudget", "churn").spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { "liftoff.dev/modeldeployment": "churn", "liftoff.dev/track": "stable" } },
    });
    expect(
      find(
        desiredObjects(
          mdep({ autoscaling: { minReplicas: 2, maxReplicas: 5, metric: "cpu", target: 50, windowSeconds: 30 } }),
          ctx(),
        ),
        "PodDisruptionBudget",
      ),
    ).toBeDefined();
  });

  it("keeps replicas 0 (scale to zero)", () => {
    expect(get(desiredObjects(mdep({ replicas: 0 }), ctx()), "Deployment").spec.replicas).toBe(0);
    expect(stableReplicas(mdep({ replicas: 0 }))).toBe(0);
    expect(stableReplicas(mdep())).toBe(1);
  });
});

describe("desiredObjects: a language model's throughput push (issue #26)", () => {
  const GGUF: ResolvedModel = { uri: "pvc://models/smol/smol.gguf", format: "gguf", claim: "models" };
  const report = { settings: REPORT_SETTINGS, periodSeconds: 30 };

  it("its stable pods get the report channel to push tokens/s, without spec.monitoring; the canary's do not", () => {
    const objects = desiredObjects(
      mdep({
        model: { uri: GGUF.uri, format: "gguf" },
        replicas: 2,
        canary: { ...canarySpec(50), model: { uri: GGUF.uri, format: "gguf" } },
      }),
      ctx({ stable: GGUF, canary: GGUF, report }),
    );
    const stable = envOf(get(objects, "Deployment", "churn-predictor"));
    expect(stable.LIFTOFF_REPORT_URL).toBe(REPORT_SETTINGS.url);
    expect(stable.LIFTOFF_MONITORING_REPORT_SECONDS).toBe("30");
    expect(envOf(get(objects, "Deployment", "churn-canary"))).not.toHaveProperty("LIFTOFF_REPORT_URL");
    // Another format without monitoring pushes nothing.
    expect(envOf(get(desiredObjects(mdep(), ctx({ report })), "Deployment"))).not.toHaveProperty("LIFTOFF_REPORT_URL");
  });
});

describe("desiredObjects: canary", () => {
  const withCanary = (spec: Partial<ModelDeploymentSpec>, caps: Capabilities = NONE) =>
    desiredObjects(mdep(spec), ctx({ canary: CANARY, capabilities: caps }));

  it("derives canary replicas from trafficPercent against the stable count", () => {
    expect(canaryReplicas(mdep({ replicas: 3, canary: canarySpec(25) }))).toBe(1);
    expect(canaryReplicas(mdep({ replicas: 3, canary: canarySpec(50) }))).toBe(3);
    expect(canaryReplicas(mdep({ replicas: 4, canary: canarySpec(20) }))).toBe(1);
    expect(canaryReplicas(mdep({ replicas: 9, canary: canarySpec(10) }))).toBe(1);
    expect(canaryReplicas(mdep({ replicas: 2, canary: canarySpec(1) }))).toBe(1); // never 0 while it gets traffic
    expect(canaryReplicas(mdep({ replicas: 3, canary: canarySpec(0) }))).toBe(0);
    expect(canaryReplicas(mdep({ replicas: 3, canary: canarySpec(100) }))).toBe(3);
    expect(
      canaryReplicas(
        mdep({
          autoscaling: { minReplicas: 4, maxReplicas: 8, metric: "cpu", target: 50, windowSeconds: 30 },
          canary: canarySpec(50),
        }),
      ),
    ).toBe(4);
    expect(canaryReplicas(mdep())).toBe(0);
  });

  it("lets an explicit canary.replicas win", () => {
    expect(canaryReplicas(mdep({ replicas: 3, canary: canarySpec(25, 5) }))).toBe(5);
    expect(canaryReplicas(mdep({ replicas: 3, canary: canarySpec(0, 2) }))).toBe(2);
    const dep = get(withCanary({ replicas: 3, canary: canarySpec(25, 5) }), "Deployment", "churn-canary");
    expect(dep.spec.replicas).toBe(5);
  });

  it("adds a canary Deployment on the canary model behind the shared Service", () => {
    const objects = withCanary({ replicas: 3, canary: canarySpec(25) });
    expect(kinds(objects)).toEqual([
      "ServiceAccount/churn-runtime",
      "Deployment/churn-predictor",
      "Deployment/churn-canary",
      "Service/churn",
      "PodDisruptionBudget/churn",
      "NetworkPolicy/churn",
    ]);
    const dep = get(objects, "Deployment", "churn-canary");
    expect(dep.spec.replicas).toBe(1);
    expect(dep.metadata?.labels?.["liftoff.dev/track"]).toBe("canary");
    expect(dep.spec.selector.matchLabels).toEqual({
      "liftoff.dev/modeldeployment": "churn",
      "liftoff.dev/track": "canary",
    });
    expect(envOf(dep).LIFTOFF_MODEL_URI).toBe(CANARY.uri);
    expect(envOf(dep).LIFTOFF_MODEL_VERSION).toBe("canary");
    // Both tracks behind one selector: the replica ratio splits the traffic.
    expect(get(objects, "Service", "churn").spec.selector).toEqual({ "liftoff.dev/modeldeployment": "churn" });
  });

  it("selects only the stable pods at 0 % and only the canary pods at 100 %", () => {
    const zero = withCanary({ replicas: 2, canary: canarySpec(0) });
    expect(get(zero, "Deployment", "churn-canary").spec.replicas).toBe(0);
    expect(get(zero, "Service", "churn").spec.selector).toEqual({
      "liftoff.dev/modeldeployment": "churn",
      "liftoff.dev/track": "stable",
    });
    const all = withCanary({ replicas: 2, canary: canarySpec(100) });
    expect(get(all, "Deployment", "churn-canary").spec.replicas).toBe(2);
    expect(get(all, "Service", "churn").spec.selector).toEqual({
      "liftoff.dev/modeldeployment": "churn",
      "liftoff.dev/track": "canary",
    });
  });

  it("builds no canary Deployment when the canary model is not resolved", () => {
    const objects = desiredObjects(mdep({ canary: canarySpec(50) }), ctx());
    expect(find(objects, "Deployment", "churn-canary")).toBeUndefined();
    expect(get(objects, "Service", "churn").spec.selector["liftoff.dev/track"]).toBe("stable");
  });

  it("routes with exact HTTPRoute weights only with the Gateway API and spec.gateway", () => {
    const gateway = {
      parentRef: { name: "public", namespace: "gateways", sectionName: "https" },
      hostnames: ["m.example"],
    };
    const gw: Capabilities = { serviceMonitor: false, gatewayAPI: true };
    const objects = withCanary({ replicas: 3, canary: canarySpec(30), gateway }, gw);
    expect(usesHTTPRoute(mdep({ canary: canarySpec(30), gateway }), gw)).toBe(true);
    expect(get(objects, "HTTPRoute", "churn").spec).toEqual({
      parentRefs: [
        {
          group: "gateway.networking.k8s.io",
          kind: "Gateway",
          name: "public",
          namespace: "gateways",
          sectionName: "https",
        },
      ],
      hostnames: ["m.example"],
      rules: [
        {
          backendRefs: [
            { name: "churn-predictor", port: 80, weight: 70 },
            { name: "churn-canary", port: 80, weight: 30 },
          ],
        },
      ],
    });
    expect(get(objects, "Service", "churn-predictor").spec.selector["liftoff.dev/track"]).toBe("stable");
    expect(get(objects, "Service", "churn-canary").spec.selector["liftoff.dev/track"]).toBe("canary");

    // Without the CRD, or without spec.gateway, or without a canary: no route and no per-track Services.
    for (const [spec, caps] of [
      [{ canary: canarySpec(30), gateway }, NONE],
      [{ canary: canarySpec(30) }, gw],
      [{ gateway }, gw],
    ] as const) {
      const out = withCanary(spec, caps);
      expect(find(out, "HTTPRoute")).toBeUndefined();
      expect(find(out, "Service", "churn-canary")).toBeUndefined();
      expect(usesHTTPRoute(mdep(spec), caps)).toBe(false);
    }
  });
});

describe("desiredObjects: monitoring and network policy", () => {
  it("creates a ServiceMonitor instead of scrape annotations when the CRD exists", () => {
    const objects = desiredObjects(mdep(), ctx({ capabilities: { serviceMonitor: true, gatewayAPI: false } }));
    expect(get(objects, "ServiceMonitor", "churn").spec).toEqual({
      selector: { matchLabels: { "liftoff.dev/modeldeployment": "churn" } },
      endpoints: [{ port: "http", path: "/metrics", interval: "15s" }],
    });
    expect(get(objects, "Deployment").spec.template.metadata).not.toHaveProperty("annotations");
    expect(find(desiredObjects(mdep(), ctx()), "ServiceMonitor")).toBeUndefined();
  });

  it("always creates a NetworkPolicy to the serving ports (HTTP, gRPC) only; listed namespaces narrow it, its own once", () => {
    expect(get(desiredObjects(mdep(), ctx()), "NetworkPolicy").spec).toEqual({
      podSelector: { matchLabels: { "liftoff.dev/modeldeployment": "churn" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          ports: [
            { port: 8080, protocol: "TCP" },
            { port: 8081, protocol: "TCP" },
          ],
        },
      ],
    });
    const np = get(
      desiredObjects(mdep({ networkPolicy: { allowedNamespaces: ["web", "ml"] } }), ctx()),
      "NetworkPolicy",
    );
    expect(np.spec).toEqual({
      podSelector: { matchLabels: { "liftoff.dev/modeldeployment": "churn" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "ml" } } },
            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "web" } } },
          ],
          ports: [
            { port: 8080, protocol: "TCP" },
            { port: 8081, protocol: "TCP" },
          ],
        },
      ],
    });
  });
});

describe("desiredObjects: monitoring push", () => {
  const report = { settings: { url: "https://10.88.0.1:9443/v1/report", caPem: "PEM" }, periodSeconds: 30 };
  const monitored = mdep({
    monitoring: { drift: {}, feedback: true },
    canary: canarySpec(10),
  } as Partial<ModelDeploymentSpec>);
  const volumeNames = (dep: KubeObject) => dep.spec.template.spec.volumes.map((v: { name: string }) => v.name);

  it("gives monitored pods of both tracks the report channel and the operator's period, with a pod-bound token", () => {
    const objects = desiredObjects(monitored, ctx({ canary: CANARY, report }));
    const stable = get(objects, "Deployment", "churn-predictor");
    expect(envOf(stable)).toMatchObject({
      LIFTOFF_REPORT_URL: "https://10.88.0.1:9443/v1/report",
      LIFTOFF_REPORT_TOKEN_FILE: "/var/run/secrets/liftoff.dev/report/token",
      LIFTOFF_REPORT_CA: "PEM",
      LIFTOFF_MONITORING_REPORT_SECONDS: "30",
    });
    const vol = stable.spec.template.spec.volumes.find((v: { name: string }) => v.name === "liftoff-report-token");
    expect(vol.projected.sources[0].serviceAccountToken).toMatchObject({ audience: "liftoff-operator" });
    expect(runtime(stable).volumeMounts).toContainEqual({
      name: "liftoff-report-token",
      mountPath: "/var/run/secrets/liftoff.dev/report",
      readOnly: true,
    });
    // The canary pushes too (merged apart, to judge it), with the same monitoring and feedback settings: feedback
    // for its predictions is forwarded to it by POD_IP and counted there.
    const canary = get(objects, "Deployment", "churn-canary");
    const canaryEnv = envOf(canary);
    expect(canaryEnv).toMatchObject({
      LIFTOFF_REPORT_URL: "https://10.88.0.1:9443/v1/report",
      LIFTOFF_MONITORING_REPORT_SECONDS: "30",
    });
    expect(envOf(stable).LIFTOFF_FEEDBACK).toBe("true");
    for (const name of ["LIFTOFF_MONITORING_WINDOW_SECONDS", "LIFTOFF_FEEDBACK"])
      expect(canaryEnv[name]).toBe(envOf(stable)[name]);
    expect(runtime(canary).env).toContainEqual(
      expect.objectContaining({ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }),
    );
    expect(volumeNames(canary)).toContain("liftoff-report-token");
  });

  it("adds nothing without monitoring or without the operator's report endpoint", () => {
    for (const objects of [
      desiredObjects(mdep(), ctx({ report })),
      desiredObjects(monitored, ctx({ canary: CANARY })),
    ]) {
      const dep = get(objects, "Deployment", "churn-predictor");
      expect(
        Object.keys(envOf(dep)).filter((n) => n.startsWith("LIFTOFF_REPORT") || n.includes("REPORT_SECONDS")),
      ).toEqual([]);
      expect(volumeNames(dep)).not.toContain("liftoff-report-token");
    }
  });
});

describe("desiredObjects: auth from Vault", () => {
  const vault = { address: "https://vault.example:8200", caConfigMap: { name: "kube-root-ca.crt", key: "ca.crt" } };
  const auth = { apiKeys: { path: "secret/data/ml/api-keys", key: "churn" } };

  it("passes only the path and key, and gives the pod its Vault identity under its own service account", () => {
    const dep = get(desiredObjects(mdep({ auth }), ctx({ vault })), "Deployment");
    const env = envOf(dep);
    expect(env).toMatchObject({
      LIFTOFF_AUTH_VAULT_PATH: "secret/data/ml/api-keys",
      LIFTOFF_AUTH_VAULT_KEY: "churn",
      LIFTOFF_AUTH_REFRESH_SECONDS: "15",
      LIFTOFF_AUTH_GRACE_SECONDS: "60",
      LIFTOFF_VAULT_ADDR: "https://vault.example:8200",
      LIFTOFF_VAULT_ROLE: "liftoff-ml-churn",
      LIFTOFF_VAULT_TOKEN_FILE: "/var/run/secrets/liftoff/vault/token",
    });
    expect(Object.keys(env)).not.toContain("LIFTOFF_AUTH_TOKENS");
    const pod = dep.spec.template.spec;
    expect(pod.serviceAccountName).toBe("churn-runtime");
    expect(pod.automountServiceAccountToken).toBe(false);
    const vol = pod.volumes.find((v: { name: string }) => v.name === "liftoff-vault");
    expect(vol.projected.sources[0]).toEqual({
      serviceAccountToken: { audience: "vault", expirationSeconds: 600, path: "token" },
    });
    expect(JSON.stringify(dep)).not.toMatch(/secretName|secretKeyRef/);
  });

  it("uses spec.auth.vaultRole and the refresh and grace the spec asks for", () => {
    const spec = { auth: { ...auth, vaultRole: "churn-serving", refreshSeconds: 2, graceSeconds: 5 } };
    const env = envOf(get(desiredObjects(mdep(spec), ctx({ vault })), "Deployment"));
    expect(env).toMatchObject({
      LIFTOFF_VAULT_ROLE: "churn-serving",
      LIFTOFF_AUTH_REFRESH_SECONDS: "2",
      LIFTOFF_AUTH_GRACE_SECONDS: "5",
    });
  });

  it("adds nothing about Vault without spec.auth", () => {
    const dep = get(desiredObjects(mdep(), ctx({ vault })), "Deployment");
    expect(JSON.stringify(dep)).not.toContain("VAULT");
  });
});

describe("desiredObjects: a model in object storage (issue #27)", () => {
  const vault = { address: "https://vault.example:8200", caConfigMap: { name: "kube-root-ca.crt", key: "ca.crt" } };
  const storage = {
    endpoint: "http://seaweedfs.storage.svc:8333",
    credentials: { vaultKV: { path: "secret/data/liftoff/s3" } },
  };
  const s3: ResolvedModel = { uri: "s3://models/churn/model.json", format: "tfjs-layers", storage };
  const podOf = (stable: ResolvedModel, over: Partial<DesiredContext> = {}) =>
    get(
      desiredObjects(mdep({ model: { uri: stable.uri, format: stable.format } }), ctx({ stable, ...over })),
      "Deployment",
    );

  it("mounts no claim, passes the endpoint, region and Vault path of the keys, and gives the pod its Vault identity", () => {
    const dep = podOf(s3, { vault });
    const env = envOf(dep);
    expect(env).toMatchObject({
      LIFTOFF_MODEL_URI: "s3://models/churn/model.json",
      AWS_ENDPOINT_URL_S3: "http://seaweedfs.storage.svc:8333",
      AWS_REGION: "us-east-1",
      LIFTOFF_S3_VAULT_KV_PATH: "secret/data/liftoff/s3",
      LIFTOFF_VAULT_ROLE: "liftoff-ml-churn",
    });
    const pod = dep.spec.template.spec;
    expect(pod.volumes.map((v: { name: string }) => v.name)).not.toContain("model");
    expect(pod.volumes.find((v: { name: string }) => v.name === "liftoff-vault")).toBeDefined();
    // The keys stay in Vault: nothing secret in the pod spec.
    expect(JSON.stringify(dep)).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|secretKeyRef|secretName/);
  });

  it("keeps the downloaded model in the node cache, whatever its format", () => {
    const dep = podOf(s3);
    expect(envOf(dep).LIFTOFF_MODEL_CACHE).toBe(MODEL_CACHE_PATH);
    expect(runtime(dep).volumeMounts).toContainEqual({ name: "model-cache", mountPath: MODEL_CACHE_PATH });
    expect(dep.spec.template.spec.volumes.map((v: { name: string }) => v.name)).toContain("model-cache");
  });

  it("without credentials in Vault, the pod gets the endpoint only and no Vault identity (its own AWS chain)", () => {
    const dep = podOf({ ...s3, storage: { region: "eu-west-1" } }, { vault });
    const env = envOf(dep);
    expect(env.AWS_REGION).toBe("eu-west-1");
    expect(env).not.toHaveProperty("AWS_ENDPOINT_URL_S3");
    expect(JSON.stringify(dep)).not.toContain("VAULT");
  });

  it("reads an s3:// baseline with its own storage when the model is not in object storage", () => {
    const baseline = { uri: "s3://data/penguins/v1/stats.json", storage };
    const env = envOf(podOf(STABLE, { vault, baseline }));
    expect(env.AWS_ENDPOINT_URL_S3).toBe(storage.endpoint);
    expect(env.LIFTOFF_S3_VAULT_KV_PATH).toBe("secret/data/liftoff/s3");
  });
});
