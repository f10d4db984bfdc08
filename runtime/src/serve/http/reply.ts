/** How HTTP routes answer: plain data serialised with JSON.stringify, errors as the catalogue's body. */
import type { FastifyReply } from "fastify";
import type { RuntimeError } from "../../errors.js";

export function sendJson(reply: FastifyReply, body: unknown, status = 200): FastifyReply {
  return sendJsonText(reply, JSON.stringify(body), status);
}

/** A body already serialised (v1-json-codec.ts encodeV1Json). */
export function sendJsonText(reply: FastifyReply, json: string, status = 200): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send(json);
}

/** `{"error": message, "code": "LIFTOFF_ERR_..."}` with the error's status and headers. */
export function sendError(reply: FastifyReply, err: RuntimeError): FastifyReply {
  return sendJson(reply.headers(err.headers), err.toJSON(), err.statusCode);
}
