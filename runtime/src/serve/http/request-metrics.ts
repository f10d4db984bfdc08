/**
 * Route-level onResponse hook of the inference routes: counts and times each
 * request by protocol and status. Route-level, so other routes pay nothing.
 */
import type { onResponseHookHandler } from "fastify";
import type { Protocol, RuntimeMetrics } from "../metrics.js";

export function requestMetrics(metrics: RuntimeMetrics, protocol: Protocol): onResponseHookHandler {
  return (_req, reply, done) => {
    metrics.request(protocol, reply.statusCode, reply.elapsedTime / 1000);
    done();
  };
}
