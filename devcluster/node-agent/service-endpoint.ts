// Resolves a Service to one ready endpoint (pod IP and port), for tests and the demo: ClusterIPs are not
// routable here (no kube-proxy), but pod addresses are.
//
// The EndpointSlice answers on a real cluster and on the local one in netns mode (docs/local-cluster.md). In the
// local cluster's loopback fallback it stays empty: the API server refuses loopback addresses in EndpointSlices
// ("may not be in the loopback range"), so the helper then does what the EndpointSlice controller would:
// Ready, non-terminating pods matching the selector, targetPort resolved.
import { CoreV1Api, DiscoveryV1Api, type KubeConfig, type V1Pod, type V1ServicePort } from "@kubernetes/client-node";

export interface Endpoint {
  ip: string;
  port: number;
  url: string;
  pod?: string;
}

function pickPort(ports: V1ServicePort[], want: string | number | undefined): V1ServicePort | undefined {
  if (want === undefined) return ports[0];
  return ports.find((p) => (typeof want === "number" ? p.port === want : p.name === want));
}

/** The container port a Service targetPort means for one pod (named ports resolve per pod). */
function targetPortFor(pod: V1Pod, port: V1ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === "number") return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) {
    const found = c.ports?.find((p) => p.name === target);
    if (found) return found.containerPort;
  }
  return undefined;
}

function podReady(pod: V1Pod): boolean {
  return (
    !pod.metadata?.deletionTimestamp &&
    !!pod.status?.podIP &&
    (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

/** All ready endpoints of a Service right now (may be empty). `port` is the Service port's name or number. */
export async function readyEndpoints(
  kc: KubeConfig,
  namespace: string,
  service: string,
  port?: string | number,
  scheme = "http",
): Promise<Endpoint[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const svc = await core.readNamespacedService({ name: service, namespace });
  const sp = pickPort(svc.spec?.ports ?? [], port);
  if (!sp) throw new Error(`service ${namespace}/${service} has no port ${port ?? ""}`);
  const slices = await kc
    .makeApiClient(DiscoveryV1Api)
    .listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
  const fromSlices: Endpoint[] = [];
  for (const s of slices.items) {
    const p = (s.ports ?? []).find((x) => (sp.name ? x.name === sp.name : true));
    for (const e of s.endpoints ?? []) {
      if (e.conditions?.ready === false || !p?.port) continue;
      for (const ip of e.addresses) {
        fromSlices.push({
          ip,
          port: p.port,
          url: `${scheme}://${ip}:${p.port}`,
          ...(e.targetRef?.name ? { pod: e.targetRef.name } : {}),
        });
      }
    }
  }
  if (fromSlices.length > 0) return fromSlices;
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const labelSelector = Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  const pods = await core.listNamespacedPod({ namespace, labelSelector });
  return pods.items.filter(podReady).flatMap((pod) => {
    const target = targetPortFor(pod, sp);
    const ip = pod.status?.podIP ?? "";
    return target === undefined
      ? []
      : [{ ip, port: target, url: `${scheme}://${ip}:${target}`, pod: pod.metadata?.name ?? "" }];
  });
}

/** Waits until `service` has a ready endpoint and returns the first. */
export async function serviceEndpoint(
  kc: KubeConfig,
  namespace: string,
  service: string,
  opts: { port?: string | number; timeoutMs?: number; scheme?: "http" | "https" } = {},
): Promise<Endpoint> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let detail = "no ready endpoint";
  while (Date.now() < deadline) {
    try {
      const eps = await readyEndpoints(kc, namespace, service, opts.port, opts.scheme);
      if (eps[0]) return eps[0];
    } catch (err) {
      detail = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`service ${namespace}/${service} has no ready endpoint: ${detail}`);
}
