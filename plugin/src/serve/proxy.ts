// Requests to a model's pods through the Kubernetes API server's proxy (services/NAME:http/proxy/… or
// pods/NAME:PORT/proxy/…): no Ingress and no port-forward, and it works on a cluster without kube-proxy (the API
// server dials the endpoint's IP itself). The kubeconfig's credentials authenticate to the API server, which drops
// the Authorization header before it forwards; the model's API key therefore travels as X-API-Key
// (runtime/src/serve/auth.ts accepts it like the bearer token).
import * as http from "node:http";
import * as https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { applyPooledHTTPSOptions } from "../../../operator/src/kube/agent.js";

export interface ProxyAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ProxyRequest {
  method: "GET" | "POST";
  /** The API path, starting with /api/v1/namespaces/ (a proxy path, or a plain API read). */
  path: string;
  apiKey?: string;
  json?: unknown;
  timeoutMs: number;
}

/** The path of a Service's proxy: `/api/v1/namespaces/NS/services/NAME:PORTNAME/proxy/REST`. */
export function serviceProxyPath(namespace: string, service: string, port: string, rest: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(service)}:${port}/proxy/${rest.replace(/^\//, "")}`;
}

/** The path of a pod's proxy: `/api/v1/namespaces/NS/pods/NAME:PORT/proxy/REST`. */
export function podProxyPath(namespace: string, pod: string, port: number, rest: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}:${port}/proxy/${rest.replace(/^\//, "")}`;
}

/** One request through the API server with the kubeconfig's credentials; never rejects on an HTTP status. */
export async function proxyRequest(kc: KubeConfig, req: ProxyRequest): Promise<ProxyAnswer> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(req.path, server.endsWith("/") ? server : `${server}/`);
  const body = req.json === undefined ? undefined : JSON.stringify(req.json);
  const opts: https.RequestOptions = {
    method: req.method,
    headers: {
      accept: "application/json",
      // The length always: a body Node does not frame (a DELETE's) would be read as the kept connection's next request.
      ...(body !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {}),
      ...(req.apiKey !== undefined ? { "x-api-key": req.apiKey } : {}),
    },
  };
  // The kubeconfig's keep-alive connection (a drift run or a load test makes many requests): no handshake each.
  await applyPooledHTTPSOptions(kc, opts);
  const lib = url.protocol === "http:" ? http : https;
  return new Promise((resolve, reject) => {
    const r = lib.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    r.setTimeout(req.timeoutMs, () => r.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    r.on("error", reject);
    r.end(body);
  });
}
