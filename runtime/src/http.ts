/**
 * Route helpers shared by V1 and V2: model lookup, inference with the error
 * mapping, JSON replies, and 405 for known paths with the wrong method.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from "fastify";
import { errors, RuntimeError } from "./errors.js";
import type { Protocol, RuntimeMetrics } from "./metrics.js";
import type { LoadedModel, OutputTensor } from "./model.js";
import type { ModelService } from "./service.js";
import type { Prepared } from "./validate.js";

/**
 * Route-level onResponse hook of the inference routes: counts and times each
 * request by protocol and status. Route-level, so other routes pay nothing.
 */
export function requestMetrics(metrics: RuntimeMetrics, protocol: Protocol): onResponseHookHandler {
  return (_req, reply, done) => {
    metrics.request(protocol, reply.statusCode, reply.elapsedTime / 1000);
    done();
  };
}

/** The model named in the URL, or 404; `version` is checked when given. */
export function requireModel(service: ModelService, name: string, version?: string): void {
  if (name !== service.name) throw errors.modelNotFound(name);
  if (version !== undefined && version !== service.version) throw errors.versionNotFound(name, version);
}

/** The loaded model, or 503 while loading or draining. */
export function requireReady(service: ModelService): LoadedModel {
  const model = service.model;
  if (model === undefined || !service.ready) throw errors.notReady(service.name);
  return model;
}

/** Runs a validated request; model failures become a 500 without details. */
export async function runInference(
  service: ModelService,
  req: FastifyRequest,
  prepared: Prepared,
  reply?: FastifyReply,
): Promise<OutputTensor[]> {
  try {
    const { outputs } = await service.infer(prepared);
    // Drift counts and, with feedback on, the id a client sends its ground truth with (monitoring/).
    const id = service.monitor?.observe(prepared, outputs);
    if (id !== undefined) reply?.header("x-prediction-id", id);
    return outputs;
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    req.log.error({ err }, "inference failed");
    throw errors.inferenceFailed();
  }
}

/** Our bodies are plain data: JSON.stringify is the serializer. */
export function sendJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send(JSON.stringify(body));
}

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

/** Answers every method a path does not serve with 405 and an Allow header. */
export function methodGuard(app: FastifyInstance, url: string, allowed: readonly ("GET" | "POST")[]): void {
  const allow = allowed.includes("GET") ? [...allowed, "HEAD"] : [...allowed];
  app.route({
    method: METHODS.filter((m) => !(allowed as readonly string[]).includes(m)),
    url,
    schema: { hide: true },
    handler: async (req) => {
      throw errors.methodNotAllowed(req.method, allow);
    },
  });
}
