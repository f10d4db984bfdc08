// Which ModelDeployment a request to the activator is for (pure). The activator stands behind every scale-to-zero
// deployment's public Service, so a request names its deployment only indirectly; in order of trust:
// (1) X-Forwarded-Uri set by the API server's service proxy, (2) a Liftoff-ModelDeployment header,
// (3) the Host a cluster client used (<name>.<ns>[.svc[.cluster.local]][:port]), (4) a bare Host <name> when exactly
// one scale-to-zero deployment has that name.

export interface TargetRef {
  namespace: string;
  name: string;
}

export type TargetResult =
  | { ok: true; target: TargetRef /** The path (and query) to forward. */; path: string }
  | { ok: false; status: 400 | 404; message: string };

const TARGET_HEADER = "liftoff-modeldeployment";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** /api/v1/namespaces/{ns}/services/{[scheme:]name[:port]}/proxy[/rest] */
const SERVICE_PROXY = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/]+)\/proxy(\/[^?]*)?(\?.*)?$/;

/** The deployment and the remaining path of an API server service-proxy URI; undefined when it is not one. */
export function parseServiceProxyUri(uri: string): { target: TargetRef; path: string } | undefined {
  const m = SERVICE_PROXY.exec(uri);
  if (!m) return undefined;
  const namespace = decodeURIComponent(m[1] ?? "");
  // The service segment may carry a scheme and a port: "https:name:443", "name:http".
  const parts = decodeURIComponent(m[2] ?? "").split(":");
  const name = (parts.length === 3 ? parts[1] : parts[0]) ?? "";
  if (!DNS_LABEL.test(namespace) || !DNS_LABEL.test(name)) return undefined;
  return { target: { namespace, name }, path: `${m[3] || "/"}${m[4] ?? ""}` };
}

/** <name>.<ns>[.svc[.cluster.local]][:port] → ref; a bare <name> → { name } only. */
export function parseHost(host: string): { name: string; namespace?: string } | undefined {
  const h = host.replace(/:\d+$/, "").toLowerCase().replace(/\.$/, "");
  const labels = h.split(".");
  if (!labels.every((l) => DNS_LABEL.test(l))) return undefined;
  const [name, namespace, ...rest] = labels;
  if (!name) return undefined;
  if (namespace === undefined) return { name };
  const suffix = rest.join(".");
  // A cluster-local name only: any other domain is not a Service's DNS name.
  if (suffix !== "" && suffix !== "svc" && !/^svc\.[a-z0-9.-]+$/.test(suffix)) return undefined;
  return { name, namespace };
}

export interface TargetRequest {
  /** The request's path and query as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * Resolves a request's ModelDeployment. `byName` lists the scale-to-zero deployments with a name (for a bare Host).
 * The forwarded path drops a service-proxy prefix if the request still carries one.
 */
export function resolveTarget(req: TargetRequest, byName: (name: string) => TargetRef[]): TargetResult {
  const own = parseServiceProxyUri(req.url);
  const path = own ? own.path : req.url || "/";
  const forwarded = first(req.headers["x-forwarded-uri"]);
  const viaProxy = own ?? (forwarded ? parseServiceProxyUri(forwarded) : undefined);
  if (viaProxy) return { ok: true, target: viaProxy.target, path };

  const header = first(req.headers[TARGET_HEADER])?.trim();
  if (header) {
    const [namespace = "", name = "", extra] = header.split("/");
    if (extra !== undefined || !DNS_LABEL.test(namespace) || !DNS_LABEL.test(name)) {
      return {
        ok: false,
        status: 400,
        message: `header Liftoff-ModelDeployment must be <namespace>/<name>, got "${header.slice(0, 300)}"`,
      };
    }
    return { ok: true, target: { namespace, name }, path };
  }

  const host = first(req.headers.host);
  const parsed = host ? parseHost(host) : undefined;
  if (parsed?.namespace) return { ok: true, target: { namespace: parsed.namespace, name: parsed.name }, path };
  if (parsed) {
    const matches = byName(parsed.name);
    if (matches.length === 1 && matches[0]) return { ok: true, target: matches[0], path };
    if (matches.length > 1) {
      return {
        ok: false,
        status: 404,
        message: `host "${parsed.name}" is ambiguous: scale-to-zero ModelDeployments ${matches
          .map((m) => `${m.namespace}/${m.name}`)
          .join(
            ", ",
          )} share that name; use Host <name>.<namespace> or header Liftoff-ModelDeployment: <namespace>/<name>`,
      };
    }
  }
  return {
    ok: false,
    status: 404,
    message:
      "no scale-to-zero ModelDeployment matches this request: send Host <name>.<namespace>[.svc] or header Liftoff-ModelDeployment: <namespace>/<name>",
  };
}
