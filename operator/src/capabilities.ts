// Optional APIs the cluster offers, detected once at start: kinds may build extra children when one is installed.
import { KubeApiError, type KubeClient } from "./kube/client.js";
import { RESOURCES } from "./kube/resources.js";
import type { Permission } from "./rbac.js";

export interface Capabilities {
  /** The monitoring.coreos.com ServiceMonitor CRD is installed. */
  serviceMonitor: boolean;
  /** The Gateway API HTTPRoute CRD is installed. */
  gatewayAPI: boolean;
  /** The monitoring.coreos.com PrometheusRule CRD is installed. */
  prometheusRule?: boolean;
}

/** The CRD whose presence tells that each optional API is installed. */
const CAPABILITY_CRDS = {
  serviceMonitor: "servicemonitors.monitoring.coreos.com",
  gatewayAPI: "httproutes.gateway.networking.k8s.io",
  prometheusRule: "prometheusrules.monitoring.coreos.com",
} as const satisfies Record<keyof Capabilities, string>;

/** Detection reads those CRDs by name, and no others. */
export const CAPABILITY_PERMISSIONS: readonly Permission[] = [
  { resource: RESOURCES.CustomResourceDefinition, verbs: ["get"], resourceNames: Object.values(CAPABILITY_CRDS) },
];

async function crdExists(client: KubeClient, name: string): Promise<boolean> {
  try {
    return (await client.getOptional(RESOURCES.CustomResourceDefinition, undefined, name)) !== undefined;
  } catch (err) {
    // The operator may not be allowed to read CRDs: treat the API as absent rather than refuse to start.
    if (err instanceof KubeApiError && err.code === 403) return false;
    throw err;
  }
}

export async function detectCapabilities(client: KubeClient): Promise<Capabilities> {
  const [serviceMonitor, gatewayAPI, prometheusRule] = await Promise.all([
    crdExists(client, CAPABILITY_CRDS.serviceMonitor),
    crdExists(client, CAPABILITY_CRDS.gatewayAPI),
    crdExists(client, CAPABILITY_CRDS.prometheusRule),
  ]);
  return { serviceMonitor, gatewayAPI, prometheusRule };
}
