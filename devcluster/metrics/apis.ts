// The API objects that wire metrics-server and KEDA into the API server (pure manifests, then apply and wait):
// KEDA's CRDs and roles (from its module, hack/build-keda.sh), metrics-server's usual roles, each server's
// delegated authn/authz bindings, and the APIServices v1beta1.metrics.k8s.io / v1beta1.external.metrics.k8s.io on
// selector-less Services whose v1 Endpoints name the bridge gateway, where those servers listen.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { kubeRequest, serverSideApply } from "../../operator/src/kube/request.js";
import { ClusterError } from "../cluster/errors.js";
import { IDENTITIES } from "../cluster/pki.js";
import { KEDA_NAMESPACE } from "./servers.js";

const MANAGER = "liftoff-cluster";

type Manifest = KubernetesObject & Record<string, unknown>;

const user = (name: string) => ({ kind: "User", apiGroup: "rbac.authorization.k8s.io", name });
const clusterRoleRef = (name: string) => ({ apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name });

function binding(
  kind: "ClusterRoleBinding" | "RoleBinding",
  name: string,
  role: object,
  subjects: object[],
  ns?: string,
) {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind,
    metadata: { name, ...(ns ? { namespace: ns } : {}) },
    roleRef: role,
    subjects,
  } as Manifest;
}

/** What an extension API server needs to authenticate callers through the API server and ask it about access. */
function delegation(prefix: string, userName: string): Manifest[] {
  return [
    binding("ClusterRoleBinding", `${prefix}:system:auth-delegator`, clusterRoleRef("system:auth-delegator"), [
      user(userName),
    ]),
    binding(
      "RoleBinding",
      `${prefix}-auth-reader`,
      { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "extension-apiserver-authentication-reader" },
      [user(userName)],
      "kube-system",
    ),
  ];
}

/** A selector-less Service on port 443 whose one endpoint is `ip:port` (the aggregator routes to it). */
function serviceWithEndpoint(namespace: string, name: string, ip: string, port: number): Manifest[] {
  return [
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { namespace, name },
      spec: { ports: [{ name: "https", port: 443, targetPort: port, protocol: "TCP" }] },
    } as Manifest,
    {
      apiVersion: "v1",
      kind: "Endpoints",
      metadata: { namespace, name },
      subsets: [{ addresses: [{ ip }], ports: [{ name: "https", port, protocol: "TCP" }] }],
    } as Manifest,
  ];
}

function apiService(group: string, namespace: string, service: string, caBundle: string): Manifest {
  return {
    apiVersion: "apiregistration.k8s.io/v1",
    kind: "APIService",
    metadata: { name: `v1beta1.${group}` },
    spec: {
      group,
      version: "v1beta1",
      service: { namespace, name: service, port: 443 },
      caBundle: Buffer.from(caBundle).toString("base64"),
      groupPriorityMinimum: 100,
      versionPriority: 100,
    },
  } as Manifest;
}

export const METRICS_API = "v1beta1.metrics.k8s.io";
export const EXTERNAL_METRICS_API = "v1beta1.external.metrics.k8s.io";
export const METRICS_SERVER_SERVICE = { namespace: "kube-system", name: "metrics-server" };
export const KEDA_METRICS_SERVICE = { namespace: KEDA_NAMESPACE, name: "keda-metrics-apiserver" };

/** metrics-server's RBAC as its upstream manifest has it, bound to its user here. */
export function metricsServerManifests(gateway: string, port: number, caBundle: string): Manifest[] {
  const name = IDENTITIES.metricsServer.commonName;
  return [
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "system:metrics-server" },
      rules: [
        { apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
      ],
    } as Manifest,
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: {
        name: "system:aggregated-metrics-reader",
        labels: {
          "rbac.authorization.k8s.io/aggregate-to-admin": "true",
          "rbac.authorization.k8s.io/aggregate-to-edit": "true",
          "rbac.authorization.k8s.io/aggregate-to-view": "true",
        },
      },
      rules: [{ apiGroups: ["metrics.k8s.io"], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] }],
    } as Manifest,
    binding("ClusterRoleBinding", "system:metrics-server", clusterRoleRef("system:metrics-server"), [user(name)]),
    ...delegation("metrics-server", name),
    ...serviceWithEndpoint(METRICS_SERVER_SERVICE.namespace, METRICS_SERVER_SERVICE.name, gateway, port),
    apiService("metrics.k8s.io", METRICS_SERVER_SERVICE.namespace, METRICS_SERVER_SERVICE.name, caBundle),
  ];
}

/** KEDA's roles (its config/rbac/role.yaml) bound to both of its users, the adapter's delegation, its APIService. */
export function kedaManifests(roleYaml: string, gateway: string, port: number, caBundle: string): Manifest[] {
  const operator = IDENTITIES.kedaOperator.commonName;
  const adapter = IDENTITIES.kedaMetricsApiserver.commonName;
  const roles = parseAllDocuments(roleYaml)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
  const bindings = roles.map((r) =>
    binding(
      r.kind === "Role" ? "RoleBinding" : "ClusterRoleBinding",
      r.metadata?.name ?? "keda-operator",
      { apiGroup: "rbac.authorization.k8s.io", kind: r.kind, name: r.metadata?.name },
      [user(operator), user(adapter)],
      r.metadata?.namespace,
    ),
  );
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: KEDA_NAMESPACE } } as Manifest,
    ...roles,
    ...bindings,
    ...delegation("keda-metrics-apiserver", adapter),
    // The HPA controller (its own service account: --use-service-account-credentials) reads KEDA's metrics.
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: "keda-external-metrics-reader" },
      rules: [{ apiGroups: ["external.metrics.k8s.io"], resources: ["*"], verbs: ["*"] }],
    } as Manifest,
    binding(
      "ClusterRoleBinding",
      "keda-hpa-controller-external-metrics",
      clusterRoleRef("keda-external-metrics-reader"),
      [{ kind: "ServiceAccount", name: "horizontal-pod-autoscaler", namespace: "kube-system" }],
    ),
    ...serviceWithEndpoint(KEDA_METRICS_SERVICE.namespace, KEDA_METRICS_SERVICE.name, gateway, port),
    apiService("external.metrics.k8s.io", KEDA_METRICS_SERVICE.namespace, KEDA_METRICS_SERVICE.name, caBundle),
  ];
}

const PLURAL: Record<string, string> = {
  Namespace: "namespaces",
  Service: "services",
  Endpoints: "endpoints",
  ClusterRole: "clusterroles",
  ClusterRoleBinding: "clusterrolebindings",
  Role: "roles",
  RoleBinding: "rolebindings",
  APIService: "apiservices",
  CustomResourceDefinition: "customresourcedefinitions",
};

/** The object's REST path (pure); only the kinds above. */
export function objectPath(obj: KubernetesObject): string {
  const plural = PLURAL[obj.kind ?? ""];
  if (!plural) throw new ClusterError(`internal: no path for kind ${obj.kind}`);
  const [group, version] = (obj.apiVersion ?? "").includes("/")
    ? (obj.apiVersion ?? "").split("/")
    : ["", obj.apiVersion];
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const ns = obj.metadata?.namespace ? `/namespaces/${obj.metadata.namespace}` : "";
  return `${base}${ns}/${plural}/${obj.metadata?.name}`;
}

/** Namespaces first, then everything else side by side (each apply is one round trip; there are ~30). */
export async function applyAll(kc: KubeConfig, objects: KubernetesObject[]): Promise<void> {
  const apply = (obj: KubernetesObject) => serverSideApply(kc, objectPath(obj), obj, MANAGER);
  await Promise.all(objects.filter((o) => o.kind === "Namespace").map(apply));
  await Promise.all(objects.filter((o) => o.kind !== "Namespace").map(apply));
}

export function kedaCrds(crdDir: string): KubernetesObject[] {
  return readdirSync(crdDir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(crdDir, f), "utf8")).map((d) => d.toJS() as KubernetesObject))
    .filter((o) => o?.kind === "CustomResourceDefinition");
}

interface Conditioned {
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** Polls until the object's condition `type` is True; the error names its last message. */
export async function waitCondition(kc: KubeConfig, path: string, type: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no condition";
  for (;;) {
    const live = await kubeRequest<Conditioned>(kc, { method: "GET", path });
    const c = live.status?.conditions?.find((x) => x.type === type);
    if (c?.status === "True") return;
    last = c ? `${c.reason ?? ""}: ${c.message ?? ""}` : last;
    if (Date.now() > deadline) throw new ClusterError(`${path} not ${type} after ${timeoutMs} ms (${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
