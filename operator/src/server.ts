// The operator's HTTP endpoints: /metrics (Prometheus), /healthz (process alive), /readyz (caches synced).
import Fastify, { type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";

export interface HealthSource {
  /** Undefined when ready, else why not. */
  notReady(): string | undefined;
}

export async function startServer(
  host: string,
  port: number,
  registry: Registry,
  health: HealthSource,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", registry.contentType);
    return registry.metrics();
  });
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const why = health.notReady();
    if (why) return reply.code(503).send({ status: "not ready", reason: why });
    return { status: "ok" };
  });
  await app.listen({ host, port });
  return app;
}
