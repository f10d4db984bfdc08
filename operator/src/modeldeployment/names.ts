// Names and labels of the objects a ModelDeployment owns (pure).
import { MANAGED_BY } from "../children/labels.js";

export type Track = "stable" | "canary";

export const LABEL_MDEP = "liftoff.dev/modeldeployment";
export const LABEL_TRACK = "liftoff.dev/track";
export const RUNTIME_PORT = 8080;
export const SERVICE_PORT = 80;
/** gRPC (V2 and TF Serving) in the pod and on the Service: KServe's port. */
export const RUNTIME_GRPC_PORT = 8081;

export const childNames = (name: string) => ({
  serviceAccount: `${name}-runtime`,
  deployment: (track: Track) => (track === "stable" ? `${name}-predictor` : `${name}-canary`),
  service: name,
  trackService: (track: Track) => (track === "stable" ? `${name}-predictor` : `${name}-canary`),
  pdb: name,
  hpa: name,
  /** KEDA's ScaledObject of a track: named like its Deployment, so KEDA's HPA is keda-hpa-<deployment>. */
  scaledObject: (track: Track) => (track === "stable" ? `${name}-predictor` : `${name}-canary`),
  /** The HPA KEDA makes for a ScaledObject (KEDA's naming: keda-hpa-<scaledobject>). */
  kedaHpa: (track: Track) => `keda-hpa-${track === "stable" ? `${name}-predictor` : `${name}-canary`}`,
  /** The public Service's v1 Endpoints while the activator fronts it (minReplicas 0): the Service's name. */
  activatorEndpoints: name,
  networkPolicy: name,
  serviceMonitor: name,
  httpRoute: name,
  prometheusRule: name,
});

/** Labels on every child; selectors use the subset that never changes. */
export function commonLabels(name: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "liftoff-runtime",
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/component": "predictor",
    ...MANAGED_BY,
    [LABEL_MDEP]: name,
  };
}

export function podSelector(name: string, track?: Track): Record<string, string> {
  return { [LABEL_MDEP]: name, ...(track ? { [LABEL_TRACK]: track } : {}) };
}

export function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
