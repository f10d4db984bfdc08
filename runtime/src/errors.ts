/**
 * The runtime's one error catalogue. Every error a client can see is built here,
 * so status codes, machine-readable codes and wording stay consistent across V1,
 * V2, gRPC and the CLI. Codes follow fastify's FST_ERR_* style and are stable:
 * clients may branch on them (docs/runtime.md lists them; a test keeps that list
 * in step with this file). Messages never carry stack traces or file-system paths.
 */

/** gRPC status codes (google.rpc.Code) the catalogue maps to. */
export const GrpcStatus = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  ALREADY_EXISTS: 6,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Each code with its HTTP status and the gRPC status the same failure gets. */
export const ERROR_CODES = {
  LIFTOFF_ERR_BAD_REQUEST: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  LIFTOFF_ERR_INVALID_JSON: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  LIFTOFF_ERR_INVALID_INPUT: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  LIFTOFF_ERR_UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  LIFTOFF_ERR_MODEL_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  LIFTOFF_ERR_VERSION_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  // As TF Serving: a signature the model lacks is a bad request (400), naming the ones it has.
  LIFTOFF_ERR_SIGNATURE_NOT_FOUND: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  LIFTOFF_ERR_ROUTE_NOT_FOUND: { http: 404, grpc: GrpcStatus.UNIMPLEMENTED },
  LIFTOFF_ERR_METHOD_NOT_ALLOWED: { http: 405, grpc: GrpcStatus.UNIMPLEMENTED },
  LIFTOFF_ERR_PAYLOAD_TOO_LARGE: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  LIFTOFF_ERR_NOT_READY: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  LIFTOFF_ERR_OVERLOADED: { http: 503, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  LIFTOFF_ERR_FEEDBACK_DISABLED: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  LIFTOFF_ERR_PREDICTION_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  LIFTOFF_ERR_FEEDBACK_DUPLICATE: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS },
  LIFTOFF_ERR_REPLICA_UNAVAILABLE: { http: 502, grpc: GrpcStatus.UNAVAILABLE },
  LIFTOFF_ERR_INFERENCE_FAILED: { http: 500, grpc: GrpcStatus.INTERNAL },
  LIFTOFF_ERR_INTERNAL: { http: 500, grpc: GrpcStatus.INTERNAL },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class RuntimeError extends Error {
  readonly statusCode: number;
  readonly grpcStatus: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers, e.g. WWW-Authenticate or Allow. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "RuntimeError";
    this.statusCode = ERROR_CODES[code].http;
    this.grpcStatus = ERROR_CODES[code].grpc;
  }

  /** The JSON error body every HTTP error answers with. */
  toJSON(): { error: string; code: ErrorCode } {
    return { error: this.message, code: this.code };
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
  /** The request is malformed below the body (headers, framing). */
  badRequest: (message: string) => new RuntimeError("LIFTOFF_ERR_BAD_REQUEST", message),
  invalidJson: () => new RuntimeError("LIFTOFF_ERR_INVALID_JSON", "request body is not valid JSON"),
  /** The body parsed but does not fit the model (shape, datatype, value, names...). */
  invalidInput: (message: string) => new RuntimeError("LIFTOFF_ERR_INVALID_INPUT", message),
  unauthorized: () =>
    new RuntimeError("LIFTOFF_ERR_UNAUTHENTICATED", "missing or invalid bearer token", {
      "www-authenticate": 'Bearer realm="liftoff"',
    }),
  /** --max-pending-requests are queued or computing: retry later (503 with Retry-After; gRPC RESOURCE_EXHAUSTED). */
  overloaded: (limit: number) =>
    new RuntimeError(
      "LIFTOFF_ERR_OVERLOADED",
      `the model has ${limit} requests pending (--max-pending-requests); retry later`,
      { "retry-after": "1" },
    ),
  modelNotFound: (name: string) =>
    new RuntimeError("LIFTOFF_ERR_MODEL_NOT_FOUND", `model '${name}' is not served here`),
  versionNotFound: (name: string, version: string) =>
    new RuntimeError("LIFTOFF_ERR_VERSION_NOT_FOUND", `model '${name}' has no version '${version}'`),
  /** `others`: a SavedModel's signatures that this deployment does not serve (another one can, by naming it). */
  signatureNotFound: (name: string, served = "serving_default", others: readonly string[] = []) =>
    new RuntimeError(
      "LIFTOFF_ERR_SIGNATURE_NOT_FOUND",
      `signature_name '${name}' is not served; this model has only '${served}'${
        others.length > 0
          ? ` (its SavedModel also has ${others.map((o) => `'${o}'`).join(", ")}, which a deployment serves by naming it in spec.model.savedModel.signature)`
          : ""
      }`,
    ),
  routeNotFound: (method: string, url: string) =>
    new RuntimeError("LIFTOFF_ERR_ROUTE_NOT_FOUND", `no route for ${method} ${url}`),
  methodNotAllowed: (method: string, allowed: readonly string[]) =>
    new RuntimeError(
      "LIFTOFF_ERR_METHOD_NOT_ALLOWED",
      `method ${method} is not allowed here; use ${allowed.join(", ")}`,
      {
        allow: allowed.join(", "),
      },
    ),
  payloadTooLarge: (limit: number, what = "request body") =>
    new RuntimeError("LIFTOFF_ERR_PAYLOAD_TOO_LARGE", `${what} is larger than the limit of ${limit} bytes`),
  feedbackDisabled: (name: string) =>
    new RuntimeError(
      "LIFTOFF_ERR_FEEDBACK_DISABLED",
      `feedback is not enabled for model '${name}' (spec.monitoring.feedback)`,
    ),
  predictionUnknown: (id: string, ttlSeconds: number) =>
    new RuntimeError(
      "LIFTOFF_ERR_PREDICTION_NOT_FOUND",
      `prediction '${id.length > 80 ? `${id.slice(0, 80)}...` : id}' is unknown or expired (predictions are kept ${ttlSeconds} s)`,
    ),
  predictionRow: (id: string, row: number, rows: number) =>
    new RuntimeError("LIFTOFF_ERR_INVALID_INPUT", `prediction '${id}' has ${rows} rows; row ${row} does not exist`),
  feedbackTwice: (id: string, row: number) =>
    new RuntimeError("LIFTOFF_ERR_FEEDBACK_DUPLICATE", `prediction '${id}' row ${row} already has feedback`),
  unknownLabel: (label: string, classes: readonly string[]) =>
    new RuntimeError(
      "LIFTOFF_ERR_INVALID_INPUT",
      `label '${label.length > 80 ? `${label.slice(0, 80)}...` : label}' is not a class of this model; use one of ${classes.slice(0, 20).join(", ")}${classes.length > 20 ? ", ..." : ""}`,
    ),
  replicaUnavailable: (id: string) =>
    new RuntimeError(
      "LIFTOFF_ERR_REPLICA_UNAVAILABLE",
      `the replica that made prediction '${id.length > 80 ? `${id.slice(0, 80)}...` : id}' did not answer; retry later`,
    ),
  notReady: (name: string) => new RuntimeError("LIFTOFF_ERR_NOT_READY", `model '${name}' is not ready`),
  inferenceFailed: () => new RuntimeError("LIFTOFF_ERR_INFERENCE_FAILED", "inference failed; see the server log"),
  internal: () => new RuntimeError("LIFTOFF_ERR_INTERNAL", "internal error; see the server log"),
} as const;
