// The errors the activator answers with itself (the runtime's own errors pass through untouched): the runtime's JSON
// shape { error, code }, stable codes clients may branch on (docs/autoscaling.md lists them), never a stack trace.

const ACTIVATOR_ERRORS = {
  /** The request names no scale-to-zero ModelDeployment (404) or names one badly (400). */
  LIFTOFF_ERR_DEPLOYMENT_NOT_FOUND: 404,
  LIFTOFF_ERR_BAD_REQUEST: 400,
  /** Too many requests already wait for this deployment's first pod: retry after Retry-After. */
  LIFTOFF_ERR_ACTIVATION_QUEUE_FULL: 503,
  /** No pod became ready within scaleToZero.activationTimeoutSeconds; the message says why when known. */
  LIFTOFF_ERR_ACTIVATION_TIMEOUT: 503,
  /** The operator is stopping (a rollout of it): requests it held are answered at once; retry reaches another. */
  LIFTOFF_ERR_ACTIVATOR_STOPPING: 503,
  /** The pod could not be reached (connection refused or reset, twice) or broke off its answer. */
  LIFTOFF_ERR_UPSTREAM_UNAVAILABLE: 502,
  /** The pod did not start answering within the activator's upstream timeout. */
  LIFTOFF_ERR_UPSTREAM_TIMEOUT: 504,
} as const;

export type ActivatorErrorCode = keyof typeof ACTIVATOR_ERRORS;

/** The codes by name, so call sites spell each as an identifier (no LIFTOFF_* string literals in the operator). */
export const Code = Object.fromEntries(Object.keys(ACTIVATOR_ERRORS).map((k) => [k, k])) as {
  readonly [K in ActivatorErrorCode]: K;
};

export class ActivatorError extends Error {
  override name = "ActivatorError";
  readonly status: number;

  constructor(
    readonly code: ActivatorErrorCode,
    message: string,
    /** Seconds for Retry-After (503s). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.status = ACTIVATOR_ERRORS[code];
  }

  toJSON(): { error: string; code: ActivatorErrorCode } {
    return { error: this.message, code: this.code };
  }
}
