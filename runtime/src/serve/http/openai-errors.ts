/**
 * The OpenAI error shape, `{error: {message, type, param, code}}`, for catalogue errors on the OpenAI routes: the
 * official clients read it (and raise BadRequestError, NotFoundError, ... from the status). Same statuses and
 * headers (Retry-After, WWW-Authenticate) as everywhere else.
 */
import type { FastifyReply } from "fastify";
import type { ErrorCode, RuntimeError } from "../../errors.js";
import { sendJson } from "./reply.js";

/** The paths answered in this shape: the OpenAI routes under /v1 and everything under KServe's /openai prefix. */
const OPENAI_PATHS = /^\/(openai\/|v1\/(chat\/completions|completions|embeddings|models)\/?$)/;

export function isOpenAiPath(url: string): boolean {
  const q = url.indexOf("?");
  return OPENAI_PATHS.test(q === -1 ? url : url.slice(0, q));
}

/** OpenAI's own codes where one means the same; otherwise the catalogue code without its prefix, lower-case. */
const CODES: Partial<Record<ErrorCode, string>> = {
  LIFTOFF_ERR_MODEL_NOT_FOUND: "model_not_found",
  LIFTOFF_ERR_UNAUTHENTICATED: "invalid_api_key",
  LIFTOFF_ERR_CONTEXT_EXCEEDED: "context_length_exceeded",
};

function typeOf(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 404) return "not_found_error";
  if (status === 503) return "service_unavailable";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export function openAiErrorBody(err: RuntimeError): {
  error: { message: string; type: string; param: string | null; code: string };
} {
  return {
    error: {
      message: err.message,
      type: typeOf(err.statusCode),
      param: err.param ?? null,
      code: CODES[err.code] ?? err.code.replace(/^LIFTOFF_ERR_/, "").toLowerCase(),
    },
  };
}

export function sendOpenAiError(reply: FastifyReply, err: RuntimeError): FastifyReply {
  return sendJson(reply.headers(err.headers), openAiErrorBody(err), err.statusCode);
}
