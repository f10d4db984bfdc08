// Optional APIs the cluster offers, detected once at start: kinds may build extra children when one is installed.
import { KubeApiError, type KubeClient } from "./kube/client.js";
import { RESOURCES } from "./kube/resources.js";

export interface Capabilities {
  /** The monitoring.coreos.com ServiceMonitor CRD is installed. */
  serviceMonitor: boolean;
  /** The Gateway API HTTPRoute CRD is installed. */
  gatewayAPI: boolean;
  /** The monitoring.coreos.com PrometheusRule CRD is installed. */
  prometheusRule?: boolean;
}

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
    crdExists(client, "servicemonitors.monitoring.coreos.com"),
    crdExists(client, "httproutes.gateway.networking.k8s.io"),
    crdExists(client, "prometheusrules.monitoring.coreos.com"),
  ]);
  return { serviceMonitor, gatewayAPI, prometheusRule };
}
