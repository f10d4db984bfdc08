// The plugin's one error catalogue: every failure a user can cause or meet is a PluginError with a code, a line that
// says what is wrong and a hint that says what to do. main.ts prints it as one line and exits with its code; nothing
// else reaches the terminal (no stack traces).

/** Exit codes: 1 for a failure the command met, 2 for a command line it could not run (kubectl's cobra habit). */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export const ERROR_CODES = {
  /** Bad flags, missing or extra arguments. */
  Usage: EXIT.usage,
  /** A kind the plugin does not know (`kubectl liftoff tree foo/x`). */
  UnknownKind: EXIT.usage,
  /** The named object does not exist. */
  NotFound: EXIT.failure,
  /** No kubeconfig, no such context, or the API server does not answer. */
  NoCluster: EXIT.failure,
  /** The API server refused the request (RBAC). */
  Forbidden: EXIT.failure,
  /** No Vault address or token, or Vault refused it. */
  NoVaultLogin: EXIT.failure,
  /** The ModelDeployment has no monitoring, or no figures yet. */
  NoMonitoring: EXIT.failure,
  /** The object is not in a state the command can act on (promote without a canary, …). */
  NotApplicable: EXIT.failure,
  /** An input file (records, key file) cannot be read or parsed. */
  BadInput: EXIT.usage,
  /** The model server answered with an error. */
  ServerError: EXIT.failure,
  /** Anything else: a bug or an unexpected answer. */
  Internal: EXIT.failure,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class PluginError extends Error {
  override readonly name = "PluginError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** What to do about it; printed after the message. */
    readonly hint?: string,
  ) {
    super(message);
  }

  get exitCode(): number {
    return ERROR_CODES[this.code];
  }

  /** The one line main.ts prints: `error: <message>; <hint>`. */
  line(): string {
    const msg = this.message.replace(/\s*\n\s*/g, " ");
    return this.hint ? `error: ${msg}; ${this.hint}` : `error: ${msg}`;
  }
}

interface ApiLikeError {
  code?: unknown;
  statusCode?: unknown;
  body?: unknown;
  message?: unknown;
  cause?: unknown;
}

/** The API server's Status message of a client-node ApiException, when it carries one. */
function statusMessage(body: unknown): string | undefined {
  let b: unknown = body;
  if (typeof body === "string") {
    try {
      b = JSON.parse(body);
    } catch {
      return body.trim() || undefined;
    }
  }
  const m = (b as { message?: unknown } | undefined)?.message;
  return typeof m === "string" ? m : undefined;
}

/** Network error codes that mean "no cluster answers at that address". */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "ECONNRESET", "EAI_AGAIN"]);

function networkCode(err: unknown): string | undefined {
  for (let e = err as ApiLikeError | undefined, depth = 0; e && depth < 5; e = e.cause as ApiLikeError, depth++) {
    if (typeof e.code === "string" && UNREACHABLE.has(e.code)) return e.code;
  }
  const m = /\b(ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|EAI_AGAIN)\b/.exec(
    String((err as Error)?.message),
  );
  return m?.[1];
}

/**
 * A PluginError for an error from a Kubernetes API call. `what` names the object ("trainingjob/penguins in
 * namespace demo"); `server` is the API server's address, for the unreachable case.
 */
export function fromKubeError(err: unknown, what: string, server?: string): PluginError {
  if (err instanceof PluginError) return err;
  const e = err as ApiLikeError;
  const status = typeof e?.code === "number" ? e.code : typeof e?.statusCode === "number" ? e.statusCode : undefined;
  if (status === 404) return new PluginError("NotFound", `${what} not found`, "kubectl get liftoff lists what exists");
  if (status === 401) {
    return new PluginError(
      "NoCluster",
      "the API server does not accept your credentials",
      "log in again or pick another --context",
    );
  }
  if (status === 403) {
    const m = statusMessage(e.body) ?? `forbidden: ${what}`;
    return new PluginError("Forbidden", m, "ask your cluster admin for the Role this needs (docs/kubectl-plugin.md)");
  }
  const net = networkCode(err);
  if (net) {
    return new PluginError(
      "NoCluster",
      `no cluster reachable${server ? ` at ${server}` : ""} (${net})`,
      "check --context/--kubeconfig, or start the local cluster with npm run cluster:up",
    );
  }
  if (status !== undefined) {
    const m = statusMessage(e.body) ?? `HTTP ${status}`;
    return new PluginError("Internal", `${what}: ${m}`);
  }
  return new PluginError("Internal", `${what}: ${String(e?.message ?? err)}`);
}
