// Optional APIs the cluster offers, detected once at start: kinds may build extra children when one is installed.
import { KubeApiError, type KubeClient } from "./kube/client.js";
import type { APIService } from "./kube/models.js";
import { RESOURCES } from "./kube/resources.js";
import type { Permission } from "./rbac.js";

/** Which aggregated metrics APIs answer (their APIService is Available): what an HPA can read. */
export interface MetricsAPIs {
  /** metrics.k8s.io (metrics-server): pod CPU and memory, for metric cpu. */
  resource: boolean;
  /** custom.metrics.k8s.io (e.g. prometheus-adapter): per-pod metrics, for metric concurrency without KEDA. */
  custom: boolean;
  /** external.metrics.k8s.io (KEDA's metrics server): what KEDA's HPA reads. */
  external: boolean;
}

export interface Capabilities {
  /** The monitoring.coreos.com ServiceMonitor CRD is installed. */
  serviceMonitor: boolean;
  /** The Gateway API HTTPRoute CRD is installed. */
  gatewayAPI: boolean;
  /** The monitoring.coreos.com PrometheusRule CRD is installed. */
  prometheusRule?: boolean;
  /** KEDA's ScaledObject CRD (keda.sh/v1alpha1) is installed: metric concurrency and scale to zero use it. */
  keda?: boolean;
  /** The metrics APIs available at start; the ModelDeployment controller follows their APIServices afterwards. */
  metricsAPIs?: MetricsAPIs;
}

/** The CRD whose presence tells that each optional API is installed. */
const CAPABILITY_CRDS = {
  serviceMonitor: "servicemonitors.monitoring.coreos.com",
  gatewayAPI: "httproutes.gateway.networking.k8s.io",
  prometheusRule: "prometheusrules.monitoring.coreos.com",
  keda: "scaledobjects.keda.sh",
} as const satisfies Record<Exclude<keyof Capabilities, "metricsAPIs">, string>;

/** The APIService of each metrics API (the name the aggregation layer registers it under). */
export const METRICS_API_SERVICES = {
  resource: "v1beta1.metrics.k8s.io",
  custom: "v1beta1.custom.metrics.k8s.io",
  external: "v1beta1.external.metrics.k8s.io",
} as const satisfies Record<keyof MetricsAPIs, string>;

/**
 * Detection reads those CRDs by name, and no others; and the metrics APIServices (any APIService: the ModelDeployment
 * controller lists and watches them all anyway, and they say only which APIs the cluster serves).
 */
export const CAPABILITY_PERMISSIONS: readonly Permission[] = [
  { resource: RESOURCES.CustomResourceDefinition, verbs: ["get"], resourceNames: Object.values(CAPABILITY_CRDS) },
  { resource: RESOURCES.APIService, verbs: ["get"] },
];

/** Reads one object; a 403 counts as absent (the operator may not be allowed to look) rather than refusing to start. */
async function readable<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 403) return undefined;
    throw err;
  }
}

async function crdExists(client: KubeClient, name: string): Promise<boolean> {
  return (await readable(() => client.getOptional(RESOURCES.CustomResourceDefinition, undefined, name))) !== undefined;
}

/** An APIService the aggregation layer reports Available (its backend answers discovery). */
function apiServiceAvailable(svc: APIService | undefined): boolean {
  return svc?.status?.conditions?.some((c) => c.type === "Available" && c.status === "True") ?? false;
}

/** Which metrics APIs answer, from the APIServices (any list; others are ignored). */
export function metricsAPIsOf(services: readonly APIService[]): MetricsAPIs {
  const available = (name: string) => apiServiceAvailable(services.find((s) => s.metadata?.name === name));
  return {
    resource: available(METRICS_API_SERVICES.resource),
    custom: available(METRICS_API_SERVICES.custom),
    external: available(METRICS_API_SERVICES.external),
  };
}

export async function detectCapabilities(client: KubeClient): Promise<Capabilities> {
  const [serviceMonitor, gatewayAPI, prometheusRule, keda, ...services] = await Promise.all([
    crdExists(client, CAPABILITY_CRDS.serviceMonitor),
    crdExists(client, CAPABILITY_CRDS.gatewayAPI),
    crdExists(client, CAPABILITY_CRDS.prometheusRule),
    crdExists(client, CAPABILITY_CRDS.keda),
    ...Object.values(METRICS_API_SERVICES).map((name) =>
      readable(() => client.getOptional(RESOURCES.APIService, undefined, name)),
    ),
  ]);
  const metricsAPIs = metricsAPIsOf(services.filter((s): s is APIService => s !== undefined));
  return { serviceMonitor, gatewayAPI, prometheusRule, keda, metricsAPIs };
}
