/**
 * Assembles the Fastify server: body parsing, security headers, auth, request
 * metrics, the error mapping, V1/V2 routes, /metrics and /openapi.json.
 */
import swagger from "@fastify/swagger";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import { errors } from "../../errors.js";
import { RUNTIME_NAME, RUNTIME_VERSION } from "../../version.js";
import { API_KEY_HEADER, type Authenticator, PUBLIC_PATHS } from "../auth.js";
import type { ModelHost } from "../model-host.js";
import type { TlsPair } from "../tls.js";
import type { Limits } from "../validate.js";
import { registerBodyParser } from "./body-parser.js";
import { toRuntimeError } from "./fastify-errors.js";
import { lazyChildLoggerFactory } from "./lazy-logger.js";
import { monitoringRoutes } from "./monitoring-routes.js";
import { openAiEmbeddingRoutes } from "./openai-embeddings.js";
import { isOpenAiPath, sendOpenAiError } from "./openai-errors.js";
import { openAiRoutes } from "./openai-routes.js";
import { specialise } from "./openapi-model.js";
import { closeIfDraining, sendError, sendJson } from "./reply.js";
import { installMethodGuard } from "./route-methods.js";
import { schemas } from "./schemas.js";
import { SECURITY_HEADERS } from "./security-headers.js";
import { tfsRestRoutes } from "./tfs-rest-routes.js";
import { v1Routes } from "./v1-routes.js";
import { v2Routes } from "./v2-routes.js";

export interface HttpAppOptions {
  modelHost: ModelHost;
  limits: Limits;
  bodyLimitBytes: number;
  /** Whole request, body included (--request-timeout-ms): a slow sender gets 408 and is cut off. */
  requestTimeoutMs?: number;
  /** Request line and headers (--headers-timeout-ms; at most the request timeout). */
  headersTimeoutMs?: number;
  /** Undefined: no auth. */
  auth?: Authenticator | undefined;
  /** Certificate and key: HTTPS instead of HTTP (--tls-cert-file, --tls-key-file). */
  tls?: TlsPair | undefined;
  logLevel?: string;
  /** The OpenAI routes of a generative (gguf) model (openai-routes.ts). */
  openai?: boolean;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;

export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const { modelHost, limits, bodyLimitBytes, auth } = opts;
  const metrics = modelHost.metrics;
  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout);
  // Slow clients (slowloris) cannot hold sockets: Node checks both timeouts every connectionsCheckingInterval.
  const server = {
    headersTimeout,
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 2))),
  };
  // Typed as the plain HTTP instance: routes and hooks are the same on an HTTPS server.
  const app = Fastify({
    bodyLimit: bodyLimitBytes,
    requestTimeout,
    http: server,
    ...(opts.tls !== undefined ? { https: { ...server, cert: opts.tls.cert, key: opts.tls.key } } : {}),
    logger: { level: opts.logLevel ?? "info" },
    // Per-request log lines cost more than a tiny model's inference; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // A request's child logger is made when it first logs, not for every request (lazy-logger.ts).
    childLoggerFactory: lazyChildLoggerFactory,
    // A request that reaches a closing server arrived on a connection that was busy when the listener closed: it
    // is answered (with Connection: close), not refused, so a scale-in fails no request (start.ts, shutdown).
    return503OnClosing: false,
  });

  app.decorate("draining", {
    getter: () => modelHost.draining,
  });
  registerBodyParser(app);
  const routes = installMethodGuard(app);

  // Callback-style hooks: no promise per request on the hot path.
  app.addHook("onRequest", (req, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    // Draining (SIGTERM): keep-alive connections are pinned to this pod past the endpoints' update, so each reply
    // closes its connection and the client's next request opens one to a pod still in the endpoints. Set here for
    // streamed (hijacked) replies; replies sent through reply.ts check again when sent (requests begun before
    // SIGTERM), instead of an onSend hook on every request.
    if (modelHost.draining) reply.raw.setHeader("connection", "close");
    // A key in X-API-Key (behind the API server's proxy) becomes the Authorization the rest reads: one check, one
    // caller hash for the prediction/feedback binding, and feedback forwarded to another replica carries it.
    const key = req.headers[API_KEY_HEADER];
    if (req.headers.authorization === undefined && typeof key === "string" && key.trim() !== "")
      req.headers.authorization = `Bearer ${key.trim()}`;
    if (auth === undefined) return done();
    const q = req.url.indexOf("?");
    if (PUBLIC_PATHS.has(q === -1 ? req.url : req.url.slice(0, q))) return done();
    const ok = auth.authenticate((name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    });
    if (typeof ok === "boolean") return done(ok ? undefined : errors.unauthorized());
    ok.then((yes) => done(yes ? undefined : errors.unauthorized()), done);
  });

  app.setErrorHandler((err, req, reply) => {
    const e = toRuntimeError(err, bodyLimitBytes);
    if (e.statusCode >= 500) req.log.error({ err }, "request failed");
    return opts.openai && isOpenAiPath(req.url) ? sendOpenAiError(reply, e) : sendError(reply, e);
  });

  app.setNotFoundHandler((req, reply) => {
    const e = routes.unroutedError(req.method, req.url.split("?")[0] ?? "");
    return opts.openai && isOpenAiPath(req.url) ? sendOpenAiError(reply, e) : sendError(reply, e);
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: RUNTIME_NAME,
        version: RUNTIME_VERSION,
        description: "Liftoff inference runtime: TF Serving/KServe V1 and Open Inference Protocol V2.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: auth !== undefined ? [{ bearer: [] }] : [],
    },
    // V1 predict is routed as POST /v1/models/:name (see v1-routes.ts); document its real path
    // ("::" is how @fastify/swagger spells a literal colon).
    transform: ({ schema, url, route }) => ({
      schema,
      url:
        route.method === "POST" && /^\/v1\/models\/:name(\/(versions|labels)\/:\w+)?$/.test(url)
          ? `${url.replace(/:(\w+)/g, "{$1}")}::predict`
          : url,
    }),
  });

  // Schemas document the API; the codecs validate bodies with messages that name
  // the tensor at fault, and replies are serialised with JSON.stringify.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(v1Routes, { modelHost, limits });
  await app.register(tfsRestRoutes, { modelHost, limits });
  await app.register(v2Routes, { modelHost, limits });
  await app.register(monitoringRoutes, { modelHost });
  if (opts.openai) await app.register(openAiRoutes, { modelHost });
  if (opts.openai) await app.register(openAiEmbeddingRoutes, { modelHost });

  app.get("/metrics", { schema: schemas.metrics }, async (_req, reply) => {
    const text = await metrics.registry.metrics();
    return closeIfDraining(reply).type(metrics.registry.contentType).send(text);
  });

  // Once the model is loaded the document describes its exact inputs (openapi-model.ts).
  app.get("/openapi.json", { schema: { hide: true } }, async (_req, reply) => {
    const model = modelHost.model;
    const doc = app.swagger() as Parameters<typeof specialise>[0];
    if (model === undefined) return sendJson(reply, doc);
    const served = { name: modelHost.name, version: modelHost.version, signature: model.signature };
    return sendJson(reply, specialise(doc, served, limits.maxRequestRows));
  });

  return app;
}
