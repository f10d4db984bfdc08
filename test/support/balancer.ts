// What kube-proxy gives a client of a Service, for load generators: the local cluster has no kube-proxy (ClusterIPs do
// not route, pod IPs do; docs/local-cluster.md "Reaching pods"), so this watches the Service's EndpointSlices
// (label kubernetes.io/service-name), round-robins requests over the ready, non-terminating endpoints, and follows
// every change the EndpointSlice controller makes (a new pod Ready, a pod terminating). One keep-alive agent per
// endpoint, as a client's connection pool. Balancing is per request (what an L7 proxy such as the activator does),
// and every answer says which endpoint, pod and node served it: the pod from the endpoint's targetRef, the node
// from its nodeName (both absent for addresses that are not pods, e.g. the activator's in a Service's Endpoints).
// Requests carry Host <service>.<namespace>.svc, as an in-cluster client's do.
import http from "node:http";
import type { KubeConfig, V1EndpointSlice } from "@kubernetes/client-node";
import { DiscoveryV1Api } from "@kubernetes/client-node";
import { SupervisedInformer } from "../../devcluster/node-agent/informer.js";

export interface BalancedEndpoint {
  /** `ip:port`, the key requests are counted by. */
  key: string;
  ip: string;
  port: number;
  pod?: string;
  node?: string;
}

/**
 * The endpoints kube-proxy would route `service`'s `port` (by name; the slice's first port when omitted) to: ready
 * and not terminating, one per address (slices may overlap while the controller moves an endpoint), sorted by key so
 * the round-robin order is stable across re-resolves.
 */
export function endpointsOf(
  slices: readonly V1EndpointSlice[],
  service: string,
  portName?: string,
): BalancedEndpoint[] {
  const byKey = new Map<string, BalancedEndpoint>();
  for (const s of slices) {
    if (s.metadata?.labels?.["kubernetes.io/service-name"] !== service) continue;
    const port = portName === undefined ? s.ports?.[0] : s.ports?.find((p) => p.name === portName);
    if (port?.port === undefined) continue;
    for (const e of s.endpoints ?? []) {
      // ready is unset ("unknown") on some producers: kube-proxy treats that as ready.
      if (e.conditions?.ready === false || e.conditions?.terminating === true) continue;
      for (const ip of e.addresses) {
        const key = `${ip}:${port.port}`;
        byKey.set(key, {
          key,
          ip,
          port: port.port,
          ...(e.targetRef?.kind === "Pod" && e.targetRef.name ? { pod: e.targetRef.name } : {}),
          ...(e.nodeName ? { node: e.nodeName } : {}),
        });
      }
    }
  }
  return [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/** Round-robin over a list that may change between picks; the turn carries over a change. */
export class RoundRobin<T> {
  private turn = 0;
  private items: readonly T[] = [];

  set(items: readonly T[]): void {
    this.items = items;
  }

  get size(): number {
    return this.items.length;
  }

  next(): T | undefined {
    if (this.items.length === 0) return undefined;
    const item = this.items[this.turn % this.items.length];
    this.turn = (this.turn + 1) % Number.MAX_SAFE_INTEGER;
    return item;
  }
}

export interface BalancedRequest {
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Whole-request deadline (default 30 s). */
  timeoutMs?: number;
}

export interface BalancedResponse {
  /** HTTP status, or 0 when no response came (then `error` says why). */
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** Why no response came: "no ready endpoint", an errno code (ECONNRESET, ECONNREFUSED …), "timeout". */
  error?: string;
  endpoint?: BalancedEndpoint;
  latencyMs: number;
}

export class ServiceBalancer {
  private readonly rr = new RoundRobin<BalancedEndpoint>();
  private readonly agents = new Map<string, http.Agent>();
  private readonly informer: SupervisedInformer<V1EndpointSlice>;
  private readonly waiters = new Set<() => void>();

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
    readonly service: string,
    private readonly portName?: string,
  ) {
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const refresh = () => this.refresh();
    this.informer = new SupervisedInformer<V1EndpointSlice>(
      kc,
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      () => discovery.listNamespacedEndpointSlice({ namespace }),
      { upsert: refresh, remove: refresh },
      `endpointslices ${namespace}`,
      () => undefined,
    );
    this.informer.start();
  }

  /** The endpoints requests go to now. */
  endpoints(): BalancedEndpoint[] {
    return endpointsOf(this.informer.list(), this.service, this.portName);
  }

  /** Resolves once `test` holds for the endpoint list (checked on every EndpointSlice change), or rejects at the deadline. */
  async waitFor(what: string, test: (eps: BalancedEndpoint[]) => boolean, timeoutMs = 60_000): Promise<void> {
    if (test(this.endpoints())) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!test(this.endpoints())) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(`service ${this.namespace}/${this.service}: timed out after ${timeoutMs} ms waiting for ${what}`),
        );
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** Sends one request to the next endpoint in turn. Never rejects: failures are in `status`/`error`. */
  request(req: BalancedRequest): Promise<BalancedResponse> {
    const started = performance.now();
    const ep = this.rr.next();
    if (!ep) return Promise.resolve({ status: 0, body: "", headers: {}, error: "no ready endpoint", latencyMs: 0 });
    const agent = this.agentFor(ep.key);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: Omit<BalancedResponse, "latencyMs" | "endpoint">) => {
        if (done) return;
        done = true;
        resolve({ ...r, endpoint: ep, latencyMs: performance.now() - started });
      };
      const body = req.body === undefined ? undefined : Buffer.from(req.body);
      const r = http.request(
        {
          host: ep.ip,
          port: ep.port,
          method: req.method ?? (body ? "POST" : "GET"),
          path: req.path,
          agent,
          headers: {
            // What an in-cluster client of the Service sends (the activator tells ModelDeployments apart by it).
            host: `${this.service}.${this.namespace}.svc`,
            ...(body ? { "content-type": "application/json", "content-length": body.length } : {}),
            ...req.headers,
          },
          timeout: req.timeoutMs ?? 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            finish({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }),
          );
          res.on("error", (err: NodeJS.ErrnoException) =>
            finish({ status: 0, body: "", headers: {}, error: err.code ?? err.message }),
          );
        },
      );
      r.on("timeout", () => {
        r.destroy();
        finish({ status: 0, body: "", headers: {}, error: "timeout" });
      });
      r.on("error", (err: NodeJS.ErrnoException) =>
        finish({ status: 0, body: "", headers: {}, error: err.code ?? err.message }),
      );
      r.end(body);
    });
  }

  close(): void {
    this.informer.stop();
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }

  private refresh(): void {
    this.rr.set(this.endpoints());
    for (const w of [...this.waiters]) w();
  }

  private agentFor(key: string): http.Agent {
    let a = this.agents.get(key);
    if (!a) {
      // A client's pool: connections stay open between requests; the server ends them (Connection: close) when it drains.
      a = new http.Agent({ keepAlive: true, keepAliveMsecs: 1000 });
      this.agents.set(key, a);
    }
    return a;
  }
}

/** A load generator's view of a response: 200 is ok; else the status and the error code its JSON body names, or why none came. */
export function outcomeOf(res: BalancedResponse): { ok: boolean; reason?: string; pod?: string; node?: string } {
  const where = {
    ...(res.endpoint?.pod ? { pod: res.endpoint.pod } : {}),
    ...(res.endpoint?.node ? { node: res.endpoint.node } : {}),
  };
  if (res.status === 200) return { ok: true, ...where };
  if (res.error) return { ok: false, reason: res.error, ...where };
  let code: unknown;
  try {
    code = (JSON.parse(res.body) as { code?: unknown }).code;
  } catch {
    // Not JSON: the status alone.
  }
  return { ok: false, reason: typeof code === "string" ? `${res.status} ${code}` : String(res.status), ...where };
}
