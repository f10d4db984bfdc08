/** How HTTP routes answer: plain data serialised with JSON.stringify, errors as the catalogue's body. */
import type { FastifyReply } from "fastify";
import type { RuntimeError } from "../../errors.js";

export function sendJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return sendJsonText(reply, JSON.stringify(body), status);
}

/** A body already serialised (v1-json-codec.ts encodeV1Json). */
export function sendJsonText(reply: FastifyReply, json: string, status = 200): FastifyReply {
  return closeIfDraining(reply).code(status).type("application/json; charset=utf-8").send(json);
}

declare module "fastify" {
  interface FastifyInstance {
    /** True once the pod drains (SIGTERM; http/app.ts decorates it from ModelHost.draining). */
    readonly draining?: boolean;
  }
}

/**
 * While the pod drains, a reply closes its keep-alive connection, so the client's next request opens one to a pod
 * still in the endpoints (start.ts, shutdown). Every reply a route sends passes here, those of requests that began
 * before SIGTERM too; checked when the reply is sent, so no onSend hook runs for every request.
 */
export function closeIfDraining(reply: FastifyReply): FastifyReply {
  return reply.server.draining === true ? reply.header("connection", "close") : reply;
}

/** `{"error": message, "code": "LIFTOFF_ERR_..."}` with the error's status and headers. */
export function sendError(reply: FastifyReply, err: RuntimeError): FastifyReply {
  return sendJson(reply.headers(err.headers), err.toJSON(), err.statusCode);
}
