/**
 * The runtime's one error catalogue. Every error a client can see is built here,
 * so status codes and wording stay consistent across V1, V2 and the CLI.
 * Messages never carry stack traces or file-system paths.
 */
export class RuntimeError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    /** Extra response headers, e.g. WWW-Authenticate or Allow. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "RuntimeError";
  }
}

/** A startup problem (flags, model artifact): printed as one line, exit code 2 or 1. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

export const errors = {
  badRequest: (message: string) => new RuntimeError(400, message),
  invalidJson: () => new RuntimeError(400, "request body is not valid JSON"),
  unsupportedMediaType: (type: string) =>
    new RuntimeError(415, `unsupported content type '${type}'; send application/json`),
  unauthorized: () =>
    new RuntimeError(401, "missing or invalid bearer token", { "www-authenticate": 'Bearer realm="liftoff"' }),
  modelNotFound: (name: string) => new RuntimeError(404, `model '${name}' is not served here`),
  versionNotFound: (name: string, version: string) =>
    new RuntimeError(404, `model '${name}' has no version '${version}'`),
  routeNotFound: (method: string, url: string) => new RuntimeError(404, `no route for ${method} ${url}`),
  methodNotAllowed: (method: string, allowed: readonly string[]) =>
    new RuntimeError(405, `method ${method} is not allowed here; use ${allowed.join(", ")}`, {
      allow: allowed.join(", "),
    }),
  payloadTooLarge: (limit: number) => new RuntimeError(413, `request body is larger than the limit of ${limit} bytes`),
  feedbackDisabled: (name: string) =>
    new RuntimeError(404, `feedback is not enabled for model '${name}' (spec.monitoring.feedback)`),
  predictionUnknown: (id: string, ttlSeconds: number) =>
    new RuntimeError(
      404,
      `prediction '${id.length > 80 ? `${id.slice(0, 80)}...` : id}' is unknown or expired (predictions are kept ${ttlSeconds} s)`,
    ),
  predictionRow: (id: string, row: number, rows: number) =>
    new RuntimeError(400, `prediction '${id}' has ${rows} rows; row ${row} does not exist`),
  feedbackTwice: (id: string, row: number) =>
    new RuntimeError(409, `prediction '${id}' row ${row} already has feedback`),
  unknownLabel: (label: string, classes: readonly string[]) =>
    new RuntimeError(
      400,
      `label '${label.length > 80 ? `${label.slice(0, 80)}...` : label}' is not a class of this model; use one of ${classes.slice(0, 20).join(", ")}${classes.length > 20 ? ", ..." : ""}`,
    ),
  notReady: (name: string) => new RuntimeError(503, `model '${name}' is not ready`),
  shuttingDown: () => new RuntimeError(503, "server is shutting down"),
  inferenceFailed: () => new RuntimeError(500, "inference failed; see the server log"),
  internal: () => new RuntimeError(500, "internal error; see the server log"),
} as const;
