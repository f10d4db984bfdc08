// A plain JSON request to the API server with the kubeconfig's credentials.
// client-node's typed clients re-serialize known kinds through generated models and silently drop keys they cannot
// map (x-kubernetes-validations inside a CRD, for one), so writes whose body must arrive verbatim go through here.
import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

export class KubeApiError extends Error {
  override name = "KubeApiError";
  constructor(
    readonly code: number,
    readonly status: { message?: string; reason?: string } | undefined,
    method: string,
    path: string,
  ) {
    super(`${method} ${path}: HTTP ${code}: ${status?.message ?? "no message"}`);
  }
}

export interface KubeRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  contentType?: string;
}

export async function kubeRequest<T>(kc: KubeConfig, req: KubeRequest): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const url = new URL(req.path, cluster.server);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const opts: Parameters<typeof request>[1] = { method: req.method, headers: { accept: "application/json" } };
  await kc.applyToHTTPSOptions(opts);
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  if (payload !== undefined) {
    opts.headers = { ...opts.headers, "content-type": req.contentType ?? "application/json" };
  }
  return new Promise<T>((resolvePromise, reject) => {
    const r = request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = { message: text };
        }
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 300) resolvePromise(parsed as T);
        else reject(new KubeApiError(code, parsed as KubeApiError["status"], req.method, url.pathname));
      });
    });
    r.on("error", reject);
    r.end(payload);
  });
}

/** The request for a server-side apply of `obj` at its resource path, under `fieldManager`. */
export function applyRequest(path: string, obj: unknown, fieldManager: string, force = true): KubeRequest {
  return {
    method: "PATCH",
    path,
    query: { fieldManager, ...(force ? { force: "true" } : {}) },
    body: obj,
    contentType: "application/apply-patch+yaml",
  };
}

/** Server-side apply of an object at its resource path (e.g. /apis/apps/v1/namespaces/x/deployments/y). */
export function serverSideApply<T>(
  kc: KubeConfig,
  path: string,
  obj: unknown,
  fieldManager: string,
  force = true,
): Promise<T> {
  return kubeRequest<T>(kc, applyRequest(path, obj, fieldManager, force));
}
