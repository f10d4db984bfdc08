// A plain JSON request to the API server with the kubeconfig's credentials, cancelled by its caller's signal and
// bounded by a timeout (watches are the long-lived exception: watch.ts, with the server's own timeout). Requests
// share the kubeconfig's keep-alive connections (agent.ts); a cancelled request's connection is destroyed, not reused.
// client-node's typed clients re-serialize known kinds through generated models and silently drop keys they cannot
// map (x-kubernetes-validations inside a CRD, for one), so writes whose body must arrive verbatim go through here.
import type { ClientRequest } from "node:http";
import { request } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { boundSignal } from "../util/abort.js";
import { applyPooledHTTPSOptions } from "./agent.js";

/** The parts of a metav1.Status the operator reads: its message and, for an invalid object, the fields at fault. */
export interface ApiStatus {
  message?: string;
  reason?: string;
  details?: { causes?: { field?: string; message?: string; reason?: string }[] };
}

export class KubeApiError extends Error {
  override name = "KubeApiError";
  constructor(
    readonly code: number,
    readonly status: ApiStatus | undefined,
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

/** Longest a request may take unless its caller says otherwise: an API server that hangs must not hang us. */
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface RequestOptions {
  /** Cancels the request: a reconcile passes its own signal (its deadline, or the operator stopping). */
  signal?: AbortSignal;
  /** Gives up after this many milliseconds (DEFAULT_REQUEST_TIMEOUT_MS unless set). */
  timeoutMs?: number;
}

/** The error a cancelled or timed-out request rejects with: the signal's reason, named, with the request in it. */
function abortError(reason: unknown, method: string, path: string): Error {
  const cause = reason instanceof Error ? reason : new Error(String(reason));
  return Object.assign(new Error(`${method} ${path}: ${cause.message}`, { cause }), { name: cause.name });
}

export async function kubeRequest<T>(kc: KubeConfig, req: KubeRequest, ro: RequestOptions = {}): Promise<T> {
  const bound = boundSignal([ro.signal], ro.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  try {
    return await send<T>(kc, req, bound.signal);
  } finally {
    bound.dispose();
  }
}

/**
 * A kept connection the server closed just as a request went out fails with ECONNRESET/EPIPE before any answer:
 * Node's documented race of keep-alive (`request.reusedSocket`). Such a request is sent once more on a fresh
 * connection, except a POST, which the server may have acted on.
 */
function staleConnection(r: ClientRequest, err: unknown, method: KubeRequest["method"], answered: boolean): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return r.reusedSocket && !answered && method !== "POST" && (code === "ECONNRESET" || code === "EPIPE");
}

async function send<T>(kc: KubeConfig, req: KubeRequest, signal: AbortSignal, retried = false): Promise<T> {
  if (signal.aborted) throw abortError(signal.reason, req.method, req.path);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const url = new URL(req.path, cluster.server);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const opts: Parameters<typeof request>[1] = { method: req.method, headers: { accept: "application/json" } };
  await applyPooledHTTPSOptions(kc, opts);
  opts.signal = signal;
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  if (payload !== undefined) {
    // The length always: Node frames no body of a DELETE (no chunked encoding by default), so on a kept connection
    // the server would read the DeleteOptions as the start of the next request and answer that one 400.
    opts.headers = {
      ...opts.headers,
      "content-type": req.contentType ?? "application/json",
      "content-length": Buffer.byteLength(payload),
    };
  }
  return new Promise<T>((resolvePromise, reject) => {
    const fail = (err: unknown) => reject(signal.aborted ? abortError(signal.reason, req.method, url.pathname) : err);
    let answered = false;
    const r = request(url, opts, (res) => {
      answered = true;
      res.on("error", fail);
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
    r.on("error", (err) => {
      if (!retried && !signal.aborted && staleConnection(r, err, req.method, answered)) {
        send<T>(kc, req, signal, true).then(resolvePromise, reject);
      } else fail(err);
    });
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
  ro: RequestOptions = {},
): Promise<T> {
  return kubeRequest<T>(kc, applyRequest(path, obj, fieldManager, force), ro);
}
