// Forwarding one request to a pod: node:http with a keep-alive Agent per upstream, bodies streamed both ways,
// hop-by-hop headers dropped, X-Forwarded-For appended. A request whose body fits the buffer is replayed once on
// another endpoint when the first cannot be reached (refused, reset before any response byte: inference requests
// are idempotent here); a client that goes away aborts the upstream request, never the process.
import http, { type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import { ActivatorError, Code } from "./errors.js";
import { type Endpoint, endpointId } from "./split.js";

/** RFC 9110 §7.6.1 hop-by-hop headers, plus the de-facto ones proxies also drop. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Errors that mean the request never reached a pod's handler, so sending it again cannot do it twice. */
const CONNECT_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ETIMEDOUT"]);

function stripHopByHop(headers: http.IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(
    String(headers.connection ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** The request body: all of it when it fits `limit`, else what was read so far and the rest left in the stream. */
export interface BufferedBody {
  chunks: Buffer[];
  bytes: number;
  complete: boolean;
}

export function readBody(req: IncomingMessage, limit: number): Promise<BufferedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const done = (complete: boolean) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
      resolve({ chunks, bytes, complete });
    };
    const onData = (c: Buffer) => {
      chunks.push(c);
      bytes += c.length;
      if (bytes > limit) {
        req.pause();
        done(false);
      }
    };
    const onEnd = () => done(true);
    const onError = (err: Error) => {
      req.off("data", onData);
      reject(err);
    };
    const onAborted = () => onError(new Error("client aborted the request"));
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onError);
    req.once("aborted", onAborted);
  });
}

/** Keep-alive agents, one per upstream ip:port, so connections to a pod are reused across requests. */
export class AgentPool {
  private readonly agents = new Map<string, http.Agent>();

  constructor(private readonly maxSockets = 256) {}

  get(e: Endpoint): http.Agent {
    const id = endpointId(e);
    let a = this.agents.get(id);
    if (!a) {
      a = new http.Agent({ keepAlive: true, maxSockets: this.maxSockets, keepAliveMsecs: 1000, scheduling: "lifo" });
      this.agents.set(id, a);
    }
    return a;
  }

  /** Drops the agents of endpoints no longer listed (their pods are gone). */
  retain(live: ReadonlySet<string>): void {
    for (const [id, a] of this.agents) {
      if (!live.has(id)) {
        a.destroy();
        this.agents.delete(id);
      }
    }
  }

  close(): void {
    for (const a of this.agents.values()) a.destroy();
    this.agents.clear();
  }
}

export interface ForwardOptions {
  agents: AgentPool;
  /** Time to the upstream's response headers before answering 504. */
  upstreamTimeoutMs: number;
}

export interface ForwardResult {
  status: number;
  endpoint?: Endpoint;
  retried: boolean;
}

type Attempt =
  | { kind: "response"; res: IncomingMessage; upstream: http.ClientRequest }
  | { kind: "unreachable"; err: NodeJS.ErrnoException }
  | { kind: "timeout" }
  | { kind: "failed"; err: Error };

function attempt(
  e: Endpoint,
  req: IncomingMessage,
  path: string,
  headers: OutgoingHttpHeaders,
  body: BufferedBody,
  opts: ForwardOptions,
  clientGone: AbortSignal,
): Promise<Attempt> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (a: Attempt) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(a);
    };
    const upstream = http.request({
      host: e.ip,
      port: e.port,
      method: req.method,
      path,
      headers,
      agent: opts.agents.get(e),
      signal: clientGone,
    });
    const timer = setTimeout(() => {
      upstream.destroy();
      settle({ kind: "timeout" });
    }, opts.upstreamTimeoutMs);
    upstream.once("response", (res) => settle({ kind: "response", res, upstream }));
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code && CONNECT_ERRORS.has(err.code)) settle({ kind: "unreachable", err });
      else settle({ kind: "failed", err });
    });
    for (const c of body.chunks) upstream.write(c);
    if (body.complete) upstream.end();
    else {
      // Too large to buffer: stream the rest (such a request is not replayed).
      req.pipe(upstream);
      req.resume();
    }
  });
}

/**
 * Forwards to `pick()`'s endpoint, once more to another on a connect error when the body was fully buffered.
 * Writes the response (or a JSON error) to `res`; resolves with the status sent.
 */
export async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  body: BufferedBody,
  pick: (exclude: ReadonlySet<string>) => Endpoint | undefined,
  opts: ForwardOptions,
): Promise<ForwardResult> {
  const headers = stripHopByHop(req.headers);
  const peer = req.socket.remoteAddress;
  if (peer) {
    const prior = req.headers["x-forwarded-for"];
    headers["x-forwarded-for"] = prior ? `${Array.isArray(prior) ? prior.join(", ") : prior}, ${peer}` : peer;
  }
  // A buffered body goes with its length (a chunked one was read whole); a request without a body stays without.
  const hadBody = req.headers["content-length"] !== undefined || req.headers["transfer-encoding"] !== undefined;
  if (body.complete && hadBody) headers["content-length"] = String(body.bytes);
  const gone = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) gone.abort();
  };
  res.once("close", onClose);

  const tried = new Set<string>();
  let retried = false;
  let e = pick(tried);
  for (;;) {
    if (!e) throw new ActivatorError(Code.LIFTOFF_ERR_UPSTREAM_UNAVAILABLE, "no ready endpoint to forward to", 1);
    const a = await attempt(e, req, path, headers, body, opts, gone.signal);
    if (gone.signal.aborted) {
      return { status: 499, endpoint: e, retried };
    }
    if (a.kind === "response") return { status: await relay(a.res, res, a.upstream), endpoint: e, retried };
    if (a.kind === "timeout") {
      throw new ActivatorError(
        Code.LIFTOFF_ERR_UPSTREAM_TIMEOUT,
        `pod at ${endpointId(e)} did not answer within ${Math.round(opts.upstreamTimeoutMs / 1000)}s`,
      );
    }
    const why = a.kind === "unreachable" ? (a.err.code ?? a.err.message) : a.err.message;
    tried.add(endpointId(e));
    if (a.kind !== "unreachable" || retried || !body.complete) {
      if (!body.complete && a.kind === "unreachable") {
        throw new ActivatorError(
          Code.LIFTOFF_ERR_UPSTREAM_UNAVAILABLE,
          `pod at ${endpointId(e)} is unreachable (${why}); a body this large is not replayed to another pod`,
          1,
        );
      }
      throw new ActivatorError(Code.LIFTOFF_ERR_UPSTREAM_UNAVAILABLE, `pod at ${endpointId(e)} failed: ${why}`, 1);
    }
    retried = true;
    // Another endpoint if there is one; else the same again (a stale keep-alive connection resets once).
    e = pick(tried) ?? e;
  }
}

/**
 * Streams the upstream response to the client; a break mid-body ends the client's connection (headers are sent).
 * Resolves with the status for the request count: the pod's, 499 when the client left first, 502 when the pod broke off.
 */
function relay(up: IncomingMessage, res: ServerResponse, upstream: http.ClientRequest): Promise<number> {
  const status = up.statusCode ?? 502;
  res.writeHead(status, up.statusMessage, stripHopByHop(up.headers));
  res.flushHeaders();
  return new Promise((resolve) => {
    up.on("error", () => {
      res.destroy();
      resolve(502);
    });
    up.on("aborted", () => res.destroy());
    res.once("close", () => {
      // Closed before the whole answer went out: the client left (or the pod broke off, answered above).
      if (!res.writableFinished) {
        upstream.destroy();
        resolve(499);
      }
      resolve(status);
    });
    up.pipe(res);
  });
}
