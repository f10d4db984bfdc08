// The API resources the operator reads and writes, and their REST paths (static: no discovery round-trips).
export interface ResourceType {
  group: string; // "" for the core group
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const t = (group: string, version: string, kind: string, plural: string, namespaced = true): ResourceType => ({
  group,
  version,
  kind,
  plural,
  namespaced,
});

export const RESOURCES = {
  ModelDeployment: t("liftoff.dev", "v1alpha1", "ModelDeployment", "modeldeployments"),
  TrainingJob: t("liftoff.dev", "v1alpha1", "TrainingJob", "trainingjobs"),
  DataSet: t("liftoff.dev", "v1alpha1", "DataSet", "datasets"),
  Deployment: t("apps", "v1", "Deployment", "deployments"),
  Service: t("", "v1", "Service", "services"),
  ServiceAccount: t("", "v1", "ServiceAccount", "serviceaccounts"),
  Pod: t("", "v1", "Pod", "pods"),
  Namespace: t("", "v1", "Namespace", "namespaces", false),
  Event: t("", "v1", "Event", "events"),
  Node: t("", "v1", "Node", "nodes", false),
  PodDisruptionBudget: t("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  HorizontalPodAutoscaler: t("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
  NetworkPolicy: t("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies"),
  Lease: t("coordination.k8s.io", "v1", "Lease", "leases"),
  Job: t("batch", "v1", "Job", "jobs"),
  TokenReview: t("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false),
  ServiceMonitor: t("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"),
  HTTPRoute: t("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
  CustomResourceDefinition: t(
    "apiextensions.k8s.io",
    "v1",
    "CustomResourceDefinition",
    "customresourcedefinitions",
    false,
  ),
} as const satisfies Record<string, ResourceType>;

export type ResourceName = keyof typeof RESOURCES;

export function apiVersionOf(r: ResourceType): string {
  return r.group === "" ? r.version : `${r.group}/${r.version}`;
}

/** /api/v1/namespaces/ns/pods/name, /apis/apps/v1/deployments (all namespaces), … */
export function resourcePath(r: ResourceType, namespace?: string, name?: string, subresource?: string): string {
  const base = r.group === "" ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : "";
  const obj = name ? `/${encodeURIComponent(name)}` : "";
  const sub = name && subresource ? `/${subresource}` : "";
  return `${base}${ns}/${r.plural}${obj}${sub}`;
}

export function resourceByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return Object.values(RESOURCES).find((r) => r.kind === kind && apiVersionOf(r) === apiVersion);
}
