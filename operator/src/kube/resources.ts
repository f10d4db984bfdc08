// The API resources the operator reads and writes, and their REST paths (static: no discovery round-trips).
// Each carries the type of its objects, so a cache, a client call or a desired child of it is typed; Liftoff's own
// kinds take group, version and plural from the API definition (operator/src/api/v1alpha1).
import type { KindDefinition } from "../api/crd.js";
import { GROUP, KIND_DEFINITIONS, VERSION } from "../api/v1alpha1/index.js";
import type * as M from "./models.js";
import type { KubeObject, OwnerReference } from "./types.js";

export interface ResourceType<T extends KubeObject = KubeObject> {
  group: string; // "" for the core group
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Type only, never set: the objects of this resource. */
  readonly objectType?: T;
}

const t = <T extends KubeObject>(
  group: string,
  version: string,
  kind: string,
  plural: string,
  namespaced = true,
): ResourceType<T> => ({ group, version, kind, plural, namespaced });

/** The resource of one of Liftoff's kinds, from its definition. */
const liftoffResource = <T extends KubeObject>(def: KindDefinition<T>): ResourceType<T> =>
  t<T>(GROUP, VERSION, def.kind, def.plural);

type LiftoffResources<D> = {
  [K in keyof D]: D[K] extends KindDefinition<infer T extends KubeObject> ? ResourceType<T> : never;
};

/** One entry per kind of the API, so a new kind needs no line here. */
function liftoffResources<D extends Record<string, KindDefinition<KubeObject>>>(defs: D): LiftoffResources<D> {
  return Object.fromEntries(
    Object.entries(defs).map(([name, def]) => [name, liftoffResource(def)]),
  ) as LiftoffResources<D>;
}

export const RESOURCES = {
  ...liftoffResources(KIND_DEFINITIONS),
  Deployment: t<M.Deployment>("apps", "v1", "Deployment", "deployments"),
  ReplicaSet: t<M.ReplicaSet>("apps", "v1", "ReplicaSet", "replicasets"),
  Job: t<M.Job>("batch", "v1", "Job", "jobs"),
  PersistentVolumeClaim: t<M.PersistentVolumeClaim>("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
  Service: t<M.Service>("", "v1", "Service", "services"),
  ServiceAccount: t<M.ServiceAccount>("", "v1", "ServiceAccount", "serviceaccounts"),
  Pod: t<M.Pod>("", "v1", "Pod", "pods"),
  Namespace: t<M.Namespace>("", "v1", "Namespace", "namespaces", false),
  Event: t<M.Event>("", "v1", "Event", "events"),
  Node: t<M.Node>("", "v1", "Node", "nodes", false),
  PodDisruptionBudget: t<M.PodDisruptionBudget>("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets"),
  HorizontalPodAutoscaler: t<M.HorizontalPodAutoscaler>(
    "autoscaling",
    "v2",
    "HorizontalPodAutoscaler",
    "horizontalpodautoscalers",
  ),
  NetworkPolicy: t<M.NetworkPolicy>("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies"),
  Lease: t<M.Lease>("coordination.k8s.io", "v1", "Lease", "leases"),
  TokenReview: t<M.TokenReview>("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false),
  ServiceMonitor: t<M.ServiceMonitor>("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"),
  PrometheusRule: t<M.PrometheusRule>("monitoring.coreos.com", "v1", "PrometheusRule", "prometheusrules"),
  HTTPRoute: t<M.HTTPRoute>("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
  Endpoints: t<M.Endpoints>("", "v1", "Endpoints", "endpoints"),
  EndpointSlice: t<M.EndpointSlice>("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices"),
  ScaledObject: t<M.ScaledObject>("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects"),
  APIService: t<M.APIService>("apiregistration.k8s.io", "v1", "APIService", "apiservices", false),
  CustomResourceDefinition: t<M.CustomResourceDefinition>(
    "apiextensions.k8s.io",
    "v1",
    "CustomResourceDefinition",
    "customresourcedefinitions",
    false,
  ),
} as const satisfies Record<string, ResourceType>;

export function apiVersionOf(r: ResourceType): string {
  return r.group === "" ? r.version : `${r.group}/${r.version}`;
}

/** The controller owner reference a child carries to `owner` (garbage collection, and which object it maps to). */
export function controllerReference(
  r: ResourceType,
  owner: KubeObject,
  opts: { blockOwnerDeletion?: boolean } = {},
): OwnerReference {
  return {
    apiVersion: apiVersionOf(r),
    kind: r.kind,
    name: owner.metadata?.name ?? "",
    uid: owner.metadata?.uid ?? "",
    controller: true,
    ...(opts.blockOwnerDeletion ? { blockOwnerDeletion: true } : {}),
  };
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
