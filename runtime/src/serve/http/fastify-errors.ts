/** Maps anything thrown in an HTTP request to a catalogue error (never a stack or a path). */
import type { FastifyError } from "fastify";
import { errors, RuntimeError } from "../../errors.js";

export function toRuntimeError(err: unknown, bodyLimit: number): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const e = err as Partial<FastifyError>;
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return errors.payloadTooLarge(bodyLimit);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return errors.invalidJson();
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return errors.badRequest("Content-Length does not match the body");
  }
  if (err instanceof SyntaxError) return errors.invalidJson();
  const status = e.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return errors.badRequest("bad request");
  return errors.internal();
}
