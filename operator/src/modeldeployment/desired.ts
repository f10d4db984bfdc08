// The objects a ModelDeployment should own, as a pure function of its spec and context. No timestamps, random
// names or map-order surprises: the same input always yields the same objects, so unchanged specs write nothing.
// Every child is typed with its client-node model (kube/models.ts), so a misspelt field does not compile.

import type {
  V1Container,
  V1EnvVar,
  V1PodSpec,
  V1Probe,
  V1Toleration,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import type { ModelDeployment } from "../api/v1alpha1/index.js";
import type { Capabilities } from "../capabilities.js";
import { child, type DesiredObject } from "../children/child.js";
import { egressEnv } from "../children/egress-env.js";
import { DEFAULT_KEDA_POLLING_SECONDS, DEFAULT_PROMETHEUS_URL } from "../config.js";
import { POD_ENV, podEnv } from "../contract/pod-env.js";
import { SERVING_DEFAULTS } from "../contract/serving.js";
import { type ObjectStorageSpec, storageNeedsVault, storagePodEnv } from "../contract/storage.js";
import type { Deployment, Service } from "../kube/models.js";
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from "../kube/pod-security.js";
import { controllerReference, RESOURCES } from "../kube/resources.js";
import type { ObjectMeta, OwnerReference, Wire } from "../kube/types.js";
import { type VaultSettings, withVaultIdentity } from "../vault/pod-identity.js";
import { ACTIVATOR_ANNOTATION } from "./autoscaling/activation.js";
import { type AutoscalingContext, autoscalingObjects } from "./autoscaling/desired.js";
import { chooseEngine, type EngineChoice, scalesToZero } from "./autoscaling/engine.js";
import { captureJson, type ResolvedCapture } from "./capture.js";
import type { ResolvedModel } from "./model-source.js";
import {
  extraBaselineClaim,
  type MonitoringPush,
  monitoringEnv,
  monitoringPushParts,
  prometheusRule,
} from "./monitoring/desired.js";
import {
  childNames,
  commonLabels,
  LABEL_TRACK,
  podSelector,
  RUNTIME_GRPC_PORT,
  RUNTIME_PORT,
  SERVICE_PORT,
  type Track,
} from "./names.js";

export type { Capabilities };

export interface DesiredContext {
  runtimeImage: string;
  /** Where serving pods find Vault; required when spec.auth is set (the reconciler checks). */
  vault?: VaultSettings | undefined;
  stable: ResolvedModel;
  canary?: ResolvedModel | undefined;
  capabilities: Capabilities;
  /** Where the pods read the drift baseline (monitoring/baseline.ts), when monitoring asks for one. */
  baseline?: { uri: string; claim?: string; storage?: ObjectStorageSpec } | undefined;
  /** The operator's --egress-allow, for an http(s) model or baseline. */
  egressAllow?: string | undefined;
  /** The operator's report endpoint, where monitored stable pods push their counts; undefined when it is off. */
  report?: MonitoringPush | undefined;
  /** spec.capture resolved from the lineage (capture.ts): LIFTOFF_CAPTURE, the claim mounted read-write, Vault. */
  capture?: ResolvedCapture | undefined;
  /**
   * The operator's autoscaling flags: KEDA's Prometheus and polling, and the activator's advertised addresses
   * (activatorAddresses undefined: the activator is off). Undefined: the defaults, activator off.
   */
  autoscaling?: Partial<AutoscalingContext> | undefined;
  /** Where ONNX pods and pods of s3:// models keep models by digest (the operator's --model-cache-*); undefined: a 20 GiB per-pod emptyDir. */
  modelCache?: ModelCacheSettings | undefined;
}

/** The operator's model cache settings (OperatorConfig.modelCache). */
export interface ModelCacheSettings {
  /** A node folder all ONNX and s3:// pods of the node share; undefined: each pod's own emptyDir (survives restarts only). */
  hostPath?: string;
  maxBytes: number;
}

/** Where the runtime finds its model cache in the container (docs/modeldeployment.md, "Model cache"). */
export const MODEL_CACHE_PATH = "/var/cache/liftoff/models";
const DEFAULT_MODEL_CACHE: ModelCacheSettings = { maxBytes: 20 * 1024 ** 3 };

export const PVC_ROOT = "/mnt/pvc";

/**
 * Pods that keep their model in the node cache: ONNX ones, and every one whose model is downloaded from object
 * storage (a second replica or a restart on the node then downloads nothing).
 */
function usesModelCache(model: ResolvedModel): boolean {
  return model.format === "onnx" || model.uri.startsWith("s3://");
}

/** How the pod reaches object storage: the model's storage, else an s3:// baseline's, else an s3:// capture's. */
function podStorage(model: ResolvedModel, ctx: DesiredContext): ObjectStorageSpec | undefined {
  return model.storage ?? (ctx.baseline?.uri.startsWith("s3://") ? ctx.baseline.storage : ctx.capture?.storage);
}

/**
 * The capture's claim, mounted read-write, unless it is the model's or the baseline's claim: one claim is mounted
 * once, so that mount turns read-write instead (captureWritable).
 */
function extraCaptureClaim(model: ResolvedModel, ctx: DesiredContext): string | undefined {
  const claim = ctx.capture?.claim;
  if (claim === undefined || claim === model.claim || claim === extraBaselineClaim(model, ctx.baseline))
    return undefined;
  return claim;
}

const captureWritable = (ctx: DesiredContext, claim: string | undefined) =>
  claim !== undefined && ctx.capture?.claim === claim;
const DEFAULT_RESOURCES = { cpu: "500m", memory: "512Mi" };
const GPU = "nvidia.com/gpu";

export function ownerReference(mdep: ModelDeployment): OwnerReference {
  return controllerReference(RESOURCES.ModelDeployment, mdep, { blockOwnerDeletion: true });
}

function meta(mdep: ModelDeployment, name: string, extraLabels: Record<string, string> = {}): ObjectMeta {
  return {
    name,
    ...(mdep.metadata?.namespace ? { namespace: mdep.metadata.namespace } : {}),
    labels: { ...commonLabels(mdep.metadata?.name ?? ""), ...extraLabels },
    ownerReferences: [ownerReference(mdep)],
  };
}

/** Replica count of the stable track; undefined when an HPA owns it. */
export function stableReplicas(mdep: ModelDeployment): number | undefined {
  return mdep.spec.autoscaling ? undefined : (mdep.spec.replicas ?? 1);
}

/**
 * Which autoscaler spec.autoscaling gets here (autoscaling/engine.ts), or why none; undefined without autoscaling.
 * The reconciler refuses the spec with the reason; desiredObjects then builds no autoscaler.
 */
export function autoscalingEngine(
  mdep: ModelDeployment,
  ctx: Pick<DesiredContext, "capabilities" | "autoscaling">,
): EngineChoice | undefined {
  const a = mdep.spec.autoscaling;
  if (!a) return undefined;
  const addresses = ctx.autoscaling?.activatorAddresses;
  return chooseEngine(a, {
    capabilities: ctx.capabilities,
    activator: addresses ? { addresses: addresses.length } : undefined,
  });
}

/**
 * Canary replicas: explicit, or the share of the stable count that approximates trafficPercent; undefined with scale
 * to zero, where the canary's own ScaledObject scales it on its own traffic (0 when it gets none).
 */
export function canaryReplicas(mdep: ModelDeployment): number | undefined {
  const c = mdep.spec.canary;
  if (!c) return 0;
  if (scalesToZero(mdep.spec.autoscaling)) return undefined;
  if (c.replicas !== undefined) return c.replicas;
  const p = c.trafficPercent;
  if (p <= 0) return 0;
  const stable = stableReplicas(mdep) ?? mdep.spec.autoscaling?.minReplicas ?? 1;
  if (p >= 100) return stable;
  return Math.max(1, Math.round((stable * p) / (100 - p)));
}

export function usesHTTPRoute(mdep: ModelDeployment, caps: Capabilities): boolean {
  return Boolean(mdep.spec.canary && mdep.spec.gateway && caps.gatewayAPI);
}

/**
 * After SIGTERM a serving pod stays up this long, not ready and still answering, before it stops listening: the
 * EndpointSlice and then every node's kube-proxy need time to drop a terminating pod, and a pod that closed its
 * port at once refused the requests still routed to it (a rolling update under load lost 17 of 608 requests in
 * the fault suite, `npm run reliability`, docs/reliability.md).
 */
export const SHUTDOWN_DELAY_SECONDS = 10;
/** The delay, then time for in-flight requests to finish (the runtime's request timeout), before SIGKILL. */
const TERMINATION_GRACE_SECONDS = SHUTDOWN_DELAY_SECONDS + 30;

/** A gguf model's pod env: its format, spec.model.llm (defaults from the schema), llama.cpp threads = the CPU limit. */
function llmEnv(model: ResolvedModel): Wire<V1EnvVar>[] {
  const llm = model.llm;
  return [
    podEnv("modelFormat", "gguf"),
    {
      name: POD_ENV.llmThreads.name,
      valueFrom: { resourceFieldRef: { containerName: "runtime", resource: "limits.cpu" } },
    },
    // The runtime refuses a model whose file and KV cache cannot fit the limit (ModelTooLarge) before llama.cpp loads it.
    {
      name: POD_ENV.memoryLimit.name,
      valueFrom: { resourceFieldRef: { containerName: "runtime", resource: "limits.memory" } },
    },
    ...(llm
      ? [
          podEnv("llmContextSize", String(llm.contextSize)),
          podEnv("llmGpuLayers", String(llm.gpuLayers)),
          podEnv("llmParallel", String(llm.parallel)),
          podEnv("llmMaxTokens", String(llm.maxTokens)),
          ...(llm.chatTemplate !== undefined ? [podEnv("llmChatTemplate", llm.chatTemplate)] : []),
        ]
      : []),
  ];
}

/** `readOnly: true`, or nothing: the API server drops a false readOnly, and a desired `false` the live object never
 * shows would make every reconcile re-apply the Deployment. */
const readOnly = (ro: boolean): { readOnly?: true } => (ro ? { readOnly: true } : {});

function container(mdep: ModelDeployment, ctx: DesiredContext, model: ResolvedModel, track: Track): Wire<V1Container> {
  const image = ctx.runtimeImage;
  const s = mdep.spec;
  const name = mdep.metadata?.name ?? "";
  const gpu = s.resources?.gpu ?? 0;
  const cpu = String(s.resources?.cpu ?? DEFAULT_RESOURCES.cpu);
  const memory = String(s.resources?.memory ?? DEFAULT_RESOURCES.memory);
  const amounts = { cpu, memory, ...(gpu > 0 ? { [GPU]: String(gpu) } : {}) };
  const env: Wire<V1EnvVar>[] = [
    { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    podEnv("modelUri", model.uri),
    podEnv("modelName", name),
    podEnv("modelVersion", track),
    podEnv("port", String(RUNTIME_PORT)),
    podEnv("grpcPort", String(RUNTIME_GRPC_PORT)),
    podEnv("pvcRoot", PVC_ROOT),
    podEnv("backend", "auto"),
    podEnv("shutdownDelayMs", String(SHUTDOWN_DELAY_SECONDS * 1000)),
  ];
  if (model.digest) env.push(podEnv("modelDigest", model.digest));
  if (model.processing) env.push(podEnv("modelProcessing", JSON.stringify(model.processing)));
  if (model.format === "onnx") {
    // Only for ONNX, so the pods of TF.js models (which the runtime tells by model.json) stay as they were.
    env.push(podEnv("modelFormat", model.format));
    // onnxruntime's threads = the CPU limit rounded up (a resourceFieldRef with divisor 1), not the node's cores.
    env.push({
      name: POD_ENV.onnxThreads.name,
      valueFrom: { resourceFieldRef: { containerName: "runtime", resource: "limits.cpu" } },
    });
    // The memory limit in bytes: the runtime refuses a model that cannot load within it (ModelTooLarge) at once.
    env.push({
      name: POD_ENV.memoryLimit.name,
      valueFrom: { resourceFieldRef: { containerName: "runtime", resource: "limits.memory" } },
    });
    if (gpu > 0) env.push(podEnv("gpu", "true"));
  }
  if (usesModelCache(model)) {
    const cache = ctx.modelCache ?? DEFAULT_MODEL_CACHE;
    env.push(podEnv("modelCache", MODEL_CACHE_PATH), podEnv("modelCacheBytes", String(cache.maxBytes)));
  }
  // The endpoint, region and Vault path of the S3 keys; never the keys (the pod reads them from Vault itself).
  env.push(...storagePodEnv(podStorage(model, ctx)));
  if (model.format === "tf-savedmodel") {
    env.push(podEnv("modelFormat", model.format));
    const sm = model.savedModel;
    if (sm?.tags) env.push(podEnv("savedModelTags", sm.tags.join(",")));
    if (sm?.signature) env.push(podEnv("savedModelSignature", sm.signature));
  }
  if (model.format === "gguf") env.push(...llmEnv(model));
  if (s.auth) {
    // Only where the keys are: the pod reads them from Vault itself (runtime/src/serve/vault-api-keys.ts).
    env.push(podEnv("authVaultPath", s.auth.apiKeys.path));
    env.push(podEnv("authVaultKey", s.auth.apiKeys.key));
    env.push(podEnv("authRefreshSeconds", String(s.auth.refreshSeconds ?? SERVING_DEFAULTS.authRefreshSeconds)));
    env.push(podEnv("authGraceSeconds", String(s.auth.graceSeconds ?? SERVING_DEFAULTS.authGraceSeconds)));
  }
  env.push(...monitoringEnv(mdep, ctx.baseline));
  if (ctx.capture) env.push(podEnv("capture", captureJson(ctx.capture, track)));
  env.push(...egressEnv(ctx.egressAllow, [model.uri, ctx.baseline?.uri]));
  const push = monitoringPushParts(mdep, track, ctx.report, model);
  if (push) env.push(...push.env);
  if (s.batching) {
    env.push(podEnv("maxBatchSize", String(s.batching.maxBatchSize)));
    env.push(podEnv("maxLatencyMs", String(s.batching.maxLatencyMs)));
  }
  const probe = (path: string, periodSeconds: number, failureThreshold: number): Wire<V1Probe> => ({
    httpGet: { path, port: "http", scheme: "HTTP" },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  });
  const mounts: Wire<V1VolumeMount>[] = [{ name: "tmp", mountPath: "/tmp" }];
  if (usesModelCache(model)) mounts.push({ name: "model-cache", mountPath: MODEL_CACHE_PATH });
  if (model.claim)
    mounts.push({
      name: "model",
      mountPath: `${PVC_ROOT}/${model.claim}`,
      ...readOnly(!captureWritable(ctx, model.claim)),
    });
  const baselineClaim = extraBaselineClaim(model, ctx.baseline);
  if (baselineClaim)
    mounts.push({
      name: "baseline",
      mountPath: `${PVC_ROOT}/${baselineClaim}`,
      ...readOnly(!captureWritable(ctx, baselineClaim)),
    });
  const captureClaim = extraCaptureClaim(model, ctx);
  if (captureClaim) mounts.push({ name: "capture", mountPath: `${PVC_ROOT}/${captureClaim}` });
  if (push) mounts.push(push.volumeMount);
  return {
    name: "runtime",
    image,
    args: ["serve"],
    ports: [
      { name: "http", containerPort: RUNTIME_PORT, protocol: "TCP" },
      { name: "grpc", containerPort: RUNTIME_GRPC_PORT, protocol: "TCP" },
    ],
    env,
    resources: { requests: amounts, limits: amounts },
    // The model loads before Ready: give startup up to 5 minutes, then check liveness and readiness often. Startup
    // and readiness every second: the kubelet probes readiness once right after startup passes, when the model is
    // usually still loading, and then only each period, so a 5 s period cost up to 5 s of every cold start
    // (docs/performance.md, "Cold start on the cluster"); 10 failures still take 10 s to turn a pod unready.
    startupProbe: probe("/v2/health/live", 1, 300),
    readinessProbe: probe("/v2/health/ready", 1, 10),
    livenessProbe: probe("/v2/health/live", 10, 3),
    securityContext: RESTRICTED_CONTAINER_SECURITY,
    volumeMounts: mounts,
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
}

/** The Vault role serving pods log in with: spec.auth.vaultRole, else liftoff-<namespace>-<name> (docs/vault.md). */
export function servingVaultRole(mdep: ModelDeployment): string {
  return mdep.spec.auth?.vaultRole ?? `liftoff-${mdep.metadata?.namespace ?? ""}-${mdep.metadata?.name ?? ""}`;
}

/**
 * With spec.auth, or S3 keys in Vault, the pod logs in to Vault with its own projected token
 * (operator/src/vault/pod-identity.ts).
 */
function withVault(
  mdep: ModelDeployment,
  ctx: DesiredContext,
  storage: ObjectStorageSpec | undefined,
  spec: Wire<V1PodSpec>,
): Wire<V1PodSpec> {
  if ((!mdep.spec.auth && !storageNeedsVault(storage) && !ctx.capture?.needsVault) || !ctx.vault) return spec;
  return withVaultIdentity(spec, ctx.vault, servingVaultRole(mdep), ["runtime"]);
}

function tolerations(mdep: ModelDeployment): Wire<V1Toleration>[] {
  const list: Wire<V1Toleration>[] = [...(mdep.spec.tolerations ?? [])];
  const gpu = mdep.spec.resources?.gpu ?? 0;
  if (gpu > 0 && !list.some((t) => t.key === GPU || (t.operator === "Exists" && !t.key))) {
    list.push({ key: GPU, operator: "Exists", effect: "NoSchedule" });
  }
  return list;
}

/**
 * The model cache of ONNX pods and of pods serving from s3://: the node folder all of the node's pods share (a second replica or a new pod finds the
 * model there), or by default the pod's own emptyDir, which the restricted Pod Security profile allows and which
 * survives container restarts only (docs/modeldeployment.md, "Model cache").
 */
function modelCacheVolume(cache: ModelCacheSettings): Wire<V1Volume> {
  if (cache.hostPath !== undefined) {
    return { name: "model-cache", hostPath: { path: cache.hostPath, type: "DirectoryOrCreate" } };
  }
  return { name: "model-cache", emptyDir: { sizeLimit: `${Math.ceil(cache.maxBytes / 1024 ** 3)}Gi` } };
}

function deployment(
  mdep: ModelDeployment,
  ctx: DesiredContext,
  track: Track,
  model: ResolvedModel,
): DesiredObject<Deployment> {
  const name = mdep.metadata?.name ?? "";
  const names = childNames(name);
  const replicas = track === "stable" ? stableReplicas(mdep) : canaryReplicas(mdep);
  const selector = podSelector(name, track);
  const podLabels = { ...commonLabels(name), [LABEL_TRACK]: track };
  const scrape = !ctx.capabilities.serviceMonitor;
  const c = container(mdep, ctx, model, track);
  const tol = tolerations(mdep);
  const volumes: Wire<V1Volume>[] = [{ name: "tmp", emptyDir: { sizeLimit: "1Gi" } }];
  if (usesModelCache(model)) volumes.push(modelCacheVolume(ctx.modelCache ?? DEFAULT_MODEL_CACHE));
  if (model.claim)
    volumes.push({
      name: "model",
      persistentVolumeClaim: { claimName: model.claim, ...readOnly(!captureWritable(ctx, model.claim)) },
    });
  const baselineClaim = extraBaselineClaim(model, ctx.baseline);
  if (baselineClaim)
    volumes.push({
      name: "baseline",
      persistentVolumeClaim: { claimName: baselineClaim, ...readOnly(!captureWritable(ctx, baselineClaim)) },
    });
  const captureClaim = extraCaptureClaim(model, ctx);
  if (captureClaim) volumes.push({ name: "capture", persistentVolumeClaim: { claimName: captureClaim } });
  const push = monitoringPushParts(mdep, track, ctx.report, model);
  if (push) volumes.push(push.volume as Wire<V1Volume>);
  return child(RESOURCES.Deployment, meta(mdep, names.deployment(track), { [LABEL_TRACK]: track }), {
    spec: {
      ...(replicas !== undefined ? { replicas } : {}),
      selector: { matchLabels: selector },
      revisionHistoryLimit: 3,
      progressDeadlineSeconds: 600,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: podLabels,
          ...(scrape
            ? {
                annotations: {
                  "prometheus.io/scrape": "true",
                  "prometheus.io/port": String(RUNTIME_PORT),
                  "prometheus.io/path": "/metrics",
                },
              }
            : {}),
        },
        spec: withVault(mdep, ctx, podStorage(model, ctx), {
          serviceAccountName: names.serviceAccount,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
          securityContext: RESTRICTED_POD_SECURITY,
          containers: [c],
          volumes,
          ...(mdep.spec.nodeSelector ? { nodeSelector: mdep.spec.nodeSelector } : {}),
          ...(tol.length > 0 ? { tolerations: tol } : {}),
        }),
      },
    },
  });
}

/** A Service of the serving pods; without a selector (undefined) its Endpoints are the activator's (scale to zero). */
function service(
  mdep: ModelDeployment,
  name: string,
  selector: Record<string, string> | undefined,
  extra: Record<string, string> = {},
): DesiredObject<Service> {
  const m = meta(mdep, name, extra);
  if (!selector) m.annotations = { [ACTIVATOR_ANNOTATION]: "true" };
  return child(RESOURCES.Service, m, {
    spec: {
      type: "ClusterIP",
      ...(selector ? { selector } : {}),
      ports: [
        { name: "http", port: SERVICE_PORT, targetPort: "http", protocol: "TCP" },
        // gRPC is HTTP/2 without TLS: appProtocol tells gateways and meshes to speak h2c to it.
        {
          name: "grpc",
          port: RUNTIME_GRPC_PORT,
          targetPort: "grpc",
          protocol: "TCP",
          appProtocol: "kubernetes.io/h2c",
        },
      ],
    },
  });
}

/**
 * Every ModelDeployment gets a NetworkPolicy: ingress to the serving port(s) only — from anywhere by default, or
 * from this and spec.networkPolicy.allowedNamespaces. Nothing else on the pods is reachable.
 */
function networkPolicy(mdep: ModelDeployment): DesiredObject {
  const name = mdep.metadata?.name ?? "";
  const ns = mdep.metadata?.namespace ?? "";
  const allowed = mdep.spec.networkPolicy
    ? [ns, ...mdep.spec.networkPolicy.allowedNamespaces.filter((n) => n !== ns)]
    : undefined;
  return child(RESOURCES.NetworkPolicy, meta(mdep, childNames(name).networkPolicy), {
    spec: {
      podSelector: { matchLabels: podSelector(name) },
      policyTypes: ["Ingress"],
      ingress: [
        {
          ...(allowed
            ? {
                from: allowed.map((n) => ({
                  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": n } },
                })),
              }
            : {}),
          ports: [
            { port: RUNTIME_PORT, protocol: "TCP" },
            { port: RUNTIME_GRPC_PORT, protocol: "TCP" },
          ],
        },
      ],
    },
  });
}

export function desiredObjects(mdep: ModelDeployment, ctx: DesiredContext): DesiredObject[] {
  const name = mdep.metadata?.name ?? "";
  const names = childNames(name);
  const s = mdep.spec;
  const out: DesiredObject[] = [];

  out.push(child(RESOURCES.ServiceAccount, meta(mdep, names.serviceAccount), { automountServiceAccountToken: false }));
  out.push(deployment(mdep, ctx, "stable", ctx.stable));
  const canary = s.canary && ctx.canary ? ctx.canary : undefined;
  if (canary) out.push(deployment(mdep, ctx, "canary", canary));

  // The shared Service: both tracks behind it, so replica counts approximate the split; at 0 % or 100 % only one.
  // With scale to zero it has no selector: the activator is behind it (its Endpoints), and splits per request.
  const percent = canary ? (s.canary?.trafficPercent ?? 0) : 0;
  const track: Track | undefined = !canary || percent <= 0 ? "stable" : percent >= 100 ? "canary" : undefined;
  const engine = autoscalingEngine(mdep, ctx);
  const activated = engine !== undefined && "engine" in engine && scalesToZero(s.autoscaling);
  out.push(service(mdep, names.service, activated ? undefined : podSelector(name, track)));

  // The track Services: what the HTTPRoute weighs, and what the activator forwards to.
  const gw = s.gateway;
  const httpRoute = canary && gw && usesHTTPRoute(mdep, ctx.capabilities);
  if (httpRoute || activated) {
    for (const t of canary ? (["stable", "canary"] as const) : (["stable"] as const)) {
      out.push(service(mdep, names.trackService(t), podSelector(name, t), { [LABEL_TRACK]: t }));
    }
  }
  if (canary && gw && httpRoute) {
    out.push(
      child(RESOURCES.HTTPRoute, meta(mdep, names.httpRoute), {
        spec: {
          parentRefs: [
            {
              group: "gateway.networking.k8s.io",
              kind: "Gateway",
              name: gw.parentRef.name,
              ...(gw.parentRef.namespace ? { namespace: gw.parentRef.namespace } : {}),
              ...(gw.parentRef.sectionName ? { sectionName: gw.parentRef.sectionName } : {}),
            },
          ],
          ...(gw.hostnames ? { hostnames: gw.hostnames } : {}),
          rules: [
            {
              backendRefs: [
                { name: names.trackService("stable"), port: SERVICE_PORT, weight: 100 - percent },
                { name: names.trackService("canary"), port: SERVICE_PORT, weight: percent },
              ],
            },
          ],
        },
      }),
    );
  }

  const minReplicas = s.autoscaling ? s.autoscaling.minReplicas : (s.replicas ?? 1);
  if (minReplicas > 1) {
    out.push(
      child(RESOURCES.PodDisruptionBudget, meta(mdep, names.pdb), {
        spec: { maxUnavailable: 1, selector: { matchLabels: podSelector(name, "stable") } },
      }),
    );
  }

  if (engine && "engine" in engine) {
    const context = {
      prometheusUrl: ctx.autoscaling?.prometheusUrl ?? DEFAULT_PROMETHEUS_URL,
      pollingSeconds: ctx.autoscaling?.pollingSeconds ?? DEFAULT_KEDA_POLLING_SECONDS,
      activatorAddresses: ctx.autoscaling?.activatorAddresses ?? [],
    };
    out.push(
      ...autoscalingObjects(mdep, engine.engine, context, canary !== undefined, (n, extra) => meta(mdep, n, extra)),
    );
  }

  if (ctx.capabilities.serviceMonitor) {
    out.push(
      child(RESOURCES.ServiceMonitor, meta(mdep, names.serviceMonitor), {
        spec: {
          selector: { matchLabels: podSelector(name) },
          endpoints: [{ port: "http", path: "/metrics", interval: "15s" }],
        },
      }),
    );
  }

  const rule = prometheusRule(mdep, ctx.capabilities);
  if (rule) out.push(child(RESOURCES.PrometheusRule, meta(mdep, names.prometheusRule), rule));

  out.push(networkPolicy(mdep));
  return out;
}
