// A container's environment as the kubelet builds it: the variables every container gets, envFrom, env (values,
// downward API, ConfigMap/Secret keys) and $(VAR) expansion, plus the agent's own variables. Pure: ConfigMaps and
// Secrets are looked up beforehand.
import type {
  V1Container,
  V1EnvVar,
  V1ObjectFieldSelector,
  V1Pod,
  V1ResourceFieldSelector,
} from "@kubernetes/client-node";
import { parseQuantity } from "./quantity.js";

/** Data of the ConfigMaps/Secrets a pod refers to; `undefined` means "does not exist". */
export interface ObjectData {
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, string> | undefined;
}

export interface PodNetwork {
  podIP: string;
  hostIP: string;
}

export interface NodeAllocatable {
  cpu: string;
  memory: string;
}

/** A reason the container cannot be created, shown as its Waiting reason and message. */
export class ContainerConfigError extends Error {
  readonly reason = "CreateContainerConfigError";
}

export function fieldValue(pod: V1Pod, sel: V1ObjectFieldSelector, net: PodNetwork): string {
  const path = sel.fieldPath;
  const meta = pod.metadata ?? {};
  const sub = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (sub) return (sub[1] === "labels" ? meta.labels : meta.annotations)?.[sub[2] ?? ""] ?? "";
  switch (path) {
    case "metadata.name":
      return meta.name ?? "";
    case "metadata.namespace":
      return meta.namespace ?? "";
    case "metadata.uid":
      return meta.uid ?? "";
    case "metadata.labels":
      return formatMap(meta.labels);
    case "metadata.annotations":
      return formatMap(meta.annotations);
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.podIP":
    case "status.podIPs":
      return net.podIP;
    case "status.hostIP":
    case "status.hostIPs":
      return net.hostIP;
    default:
      throw new ContainerConfigError(`unsupported fieldRef fieldPath "${path}"`);
  }
}

/** The downward API's file format for label and annotation maps. */
function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(map?.[k])}`)
    .join("\n");
}

export function resourceValue(
  pod: V1Pod,
  containerName: string,
  sel: V1ResourceFieldSelector,
  node: NodeAllocatable,
): string {
  const container = pod.spec?.containers.find((c) => c.name === (sel.containerName || containerName));
  if (!container) throw new ContainerConfigError(`resourceFieldRef names unknown container "${sel.containerName}"`);
  const [kind, resource] = sel.resource.split(".") as [string, string | undefined];
  if ((kind !== "limits" && kind !== "requests") || !resource) {
    throw new ContainerConfigError(`unsupported resourceFieldRef resource "${sel.resource}"`);
  }
  const r = container.resources ?? {};
  let value: string | undefined = kind === "limits" ? r.limits?.[resource] : r.requests?.[resource];
  // Like the kubelet: an unset limit is the node's allocatable amount, an unset request is 0.
  if (value === undefined && kind === "limits")
    value = resource === "cpu" ? node.cpu : resource === "memory" ? node.memory : "0";
  const divisor = parseQuantity(sel.divisor ?? "1");
  const n = parseQuantity(value ?? "0") / (divisor || 1);
  return String(Math.ceil(n - 1e-9));
}

/** Kubernetes' $(VAR) expansion: known names are replaced, unknown ones kept, `$$` escapes. */
export function expand(input: string, vars: Record<string, string>): string {
  return input.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === "$$") return "$";
    return name !== undefined && Object.hasOwn(vars, name) ? (vars[name] ?? "") : match;
  });
}

function keyRef(
  kind: "ConfigMap" | "Secret",
  data: Record<string, string> | undefined,
  ref: { name?: string; key: string; optional?: boolean },
  namespace: string,
): string | undefined {
  if (data === undefined) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`${kind.toLowerCase()} "${ref.name ?? ""}" not found`);
  }
  if (!Object.hasOwn(data, ref.key)) {
    if (ref.optional) return undefined;
    throw new ContainerConfigError(`couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name ?? ""}`);
  }
  return data[ref.key];
}

function envVarValue(
  v: V1EnvVar,
  pod: V1Pod,
  container: V1Container,
  objects: ObjectData,
  net: PodNetwork,
  node: NodeAllocatable,
  vars: Record<string, string>,
): string | undefined {
  const ns = pod.metadata?.namespace ?? "default";
  if (!v.valueFrom) return expand(v.value ?? "", vars);
  const from = v.valueFrom;
  if (from.fieldRef) return fieldValue(pod, from.fieldRef, net);
  if (from.resourceFieldRef) return resourceValue(pod, container.name, from.resourceFieldRef, node);
  if (from.configMapKeyRef) {
    return keyRef("ConfigMap", objects.configMap(from.configMapKeyRef.name ?? ""), from.configMapKeyRef, ns);
  }
  if (from.secretKeyRef) return keyRef("Secret", objects.secret(from.secretKeyRef.name ?? ""), from.secretKeyRef, ns);
  throw new ContainerConfigError(`env var ${v.name} has an unsupported valueFrom`);
}

/** The env the pod spec gives `container`, on top of `base` (the agent's own variables). Throws ContainerConfigError. */
export function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  objects: ObjectData,
  net: PodNetwork,
  node: NodeAllocatable,
  base: Record<string, string> = {},
): Record<string, string> {
  const vars: Record<string, string> = { ...base };
  for (const src of container.envFrom ?? []) {
    const prefix = src.prefix ?? "";
    let data: Record<string, string> | undefined;
    if (src.configMapRef) {
      data = objects.configMap(src.configMapRef.name ?? "");
      if (data === undefined && !src.configMapRef.optional) {
        throw new ContainerConfigError(`configmap "${src.configMapRef.name ?? ""}" not found`);
      }
    } else if (src.secretRef) {
      data = objects.secret(src.secretRef.name ?? "");
      if (data === undefined && !src.secretRef.optional) {
        throw new ContainerConfigError(`secret "${src.secretRef.name ?? ""}" not found`);
      }
    }
    for (const [k, val] of Object.entries(data ?? {})) vars[prefix + k] = val;
  }
  for (const v of container.env ?? []) {
    const value = envVarValue(v, pod, container, objects, net, node, vars);
    if (value !== undefined) vars[v.name] = value;
  }
  return vars;
}

/** The ConfigMaps, Secrets and claims a pod needs before it can start. */
export function referencedObjects(pod: V1Pod): { configMaps: Set<string>; secrets: Set<string>; claims: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  const claims = new Set<string>();
  const spec = pod.spec;
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const src of c.envFrom ?? []) {
      if (src.configMapRef?.name) configMaps.add(src.configMapRef.name);
      if (src.secretRef?.name) secrets.add(src.secretRef.name);
    }
    for (const v of c.env ?? []) {
      if (v.valueFrom?.configMapKeyRef?.name) configMaps.add(v.valueFrom.configMapKeyRef.name);
      if (v.valueFrom?.secretKeyRef?.name) secrets.add(v.valueFrom.secretKeyRef.name);
    }
  }
  for (const vol of spec?.volumes ?? []) {
    if (vol.configMap?.name) configMaps.add(vol.configMap.name);
    if (vol.secret?.secretName) secrets.add(vol.secret.secretName);
    if (vol.persistentVolumeClaim?.claimName) claims.add(vol.persistentVolumeClaim.claimName);
    for (const src of vol.projected?.sources ?? []) {
      if (src.configMap?.name) configMaps.add(src.configMap.name);
      if (src.secret?.name) secrets.add(src.secret.name);
    }
  }
  return { configMaps, secrets, claims };
}

/** Where a container runs: its root folder, the pod's address, and how it reaches the API server. */
export interface ContainerPlace {
  root: string;
  podIP: string;
  apiserverHost: string;
  apiserverPort: string;
}

/** What every container gets, like KUBERNETES_SERVICE_* from the kubelet; the pod's env may override it. */
export function kubeletEnv(pod: V1Pod, place: ContainerPlace): Record<string, string> {
  const { apiserverHost: host, apiserverPort: port } = place;
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    HOSTNAME: pod.spec?.hostname ?? pod.metadata?.name ?? "",
    HOME: place.root,
    // The pod's address under the name programs commonly read (pods usually set it via the downward API).
    POD_IP: place.podIP,
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: `tcp://${host}:${port}`,
    KUBERNETES_PORT_443_TCP: `tcp://${host}:${port}`,
    KUBERNETES_PORT_443_TCP_PROTO: "tcp",
    KUBERNETES_PORT_443_TCP_ADDR: host,
    KUBERNETES_PORT_443_TCP_PORT: port,
  };
}

/** The agent's own variables, which the pod cannot override: how a local process finds its mounts and address. */
export function agentEnv(place: ContainerPlace, nodeName: string, stateDir: string): Record<string, string> {
  return {
    LIFTOFF_PATH_PREFIX: place.root,
    LIFTOFF_POD_IP: place.podIP,
    LIFTOFF_NODE_NAME: nodeName,
    LIFTOFF_NODE_AGENT_STATE: stateDir,
  };
}
