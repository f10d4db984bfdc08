/**
 * `serve`: flags → backend → listen (not ready) → load and warm up the model →
 * ready. SIGTERM/SIGINT: not ready, optional delay, finish in-flight requests, exit.
 */
import type { FastifyInstance } from "fastify";
import { resolveModelUri } from "./artifact.js";
import { loadTokens } from "./auth.js";
import { initBackend } from "./backends.js";
import { parseServeConfig, type ServeConfig } from "./config.js";
import { RuntimeMetrics } from "./metrics.js";
import { buildServer } from "./server.js";
import { ModelService } from "./service.js";

export interface Running {
  app: FastifyInstance;
  service: ModelService;
  config: ServeConfig;
  /** Resolves when the model is loaded (rejects when it cannot be). */
  loaded: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startServe(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<Running> {
  const config = parseServeConfig(argv, env);
  const location = resolveModelUri(config.modelUri, config.pvcRoot);
  const tokens = await loadTokens(config.authTokenFile, config.authTokens);
  const backend = await initBackend(config.backend);
  const metrics = new RuntimeMetrics(config.modelName);
  metrics.setBackend(backend);
  const limits = { maxRequestRows: config.maxRequestRows };
  const service = new ModelService({
    name: config.modelName,
    version: config.modelVersion,
    backend,
    metrics,
    limits,
    maxBatchSize: config.maxBatchSize,
    maxLatencyMs: config.maxLatencyMs,
  });
  const app = await buildServer({
    service,
    limits,
    bodyLimitBytes: config.bodyLimitBytes,
    tokens,
    logLevel: config.logLevel,
  });
  // Listen first so liveness answers while a large model loads; readiness waits.
  await app.listen({ host: config.host, port: config.port });
  app.log.info(
    {
      backend: backend.name,
      tfjs: backend.tfjsVersion,
      libtensorflow: backend.libVersion,
      auth: tokens !== undefined,
      batching: config.maxBatchSize > 1,
    },
    `listening on ${config.host}:${(app.server.address() as { port: number }).port}, backend ${backend.name}`,
  );

  const loaded = service.load(location, config.modelDigest).then((r) => {
    app.log.info(
      {
        digest: `sha256:${r.digest}`,
        bytes: r.bytes,
        fetchSeconds: r.fetchSeconds,
        buildSeconds: r.buildSeconds,
        warmupSeconds: r.warmupSeconds,
      },
      `model ${config.modelName} ready (${(r.fetchSeconds + r.buildSeconds + r.warmupSeconds).toFixed(3)} s)`,
    );
  });

  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= (async () => {
      service.startDraining();
      app.log.info("draining: readiness is false");
      if (config.shutdownDelayMs > 0) await new Promise((r) => setTimeout(r, config.shutdownDelayMs));
      // close() waits for in-flight requests; drain() sends queued ones now
      // instead of waiting out --max-latency-ms, so both finish together.
      await Promise.all([app.close(), service.drain()]);
    })();
    return closing;
  };
  return { app, service, config, loaded, shutdown };
}
