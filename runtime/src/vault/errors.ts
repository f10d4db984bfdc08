// The one error type of the Vault client: a reason the operator turns into a condition, and a message naming
// the path and role — never a value, a token or a request body.
import type { VaultFailureReason } from "../contract/vault-reasons.js";

export type { VaultFailureReason };

export class VaultError extends Error {
  override name = "VaultError";
  readonly reason: VaultFailureReason;
  readonly path?: string;
  readonly role?: string;

  constructor(reason: VaultFailureReason, message: string, where: { path?: string; role?: string } = {}) {
    super(message);
    this.reason = reason;
    if (where.path !== undefined) this.path = where.path;
    if (where.role !== undefined) this.role = where.role;
  }
}

/** What went wrong with one call, as far as the transport tells (pure; tested on the shapes node-vault throws). */
export interface CallFailure {
  /** HTTP status when Vault answered. */
  status?: number;
  /** Vault's first error message, or the socket/TLS error code. */
  detail: string;
}

/** Only the status, Vault's own error text and the socket error code: axios errors also carry the request body. */
export function callFailure(err: unknown): CallFailure {
  const e = err as {
    response?: { statusCode?: number; body?: { errors?: unknown[] } };
    code?: string;
    message?: string;
  };
  const status = e?.response?.statusCode;
  if (typeof status === "number") {
    const first = e.response?.body?.errors?.[0];
    return { status, detail: typeof first === "string" && first !== "" ? first : `HTTP ${status}` };
  }
  return { detail: e?.code ?? "network error" };
}

export type Operation = "login" | "read" | "write" | "delete" | "datakey" | "decrypt" | "renew";

/** The reason a failed call maps to; `undefined` status means Vault did not answer at all. */
export function failureReason(op: Operation, f: CallFailure): VaultFailureReason {
  if (f.status === undefined) return "VaultUnreachable";
  if (f.status === 503) return /sealed/i.test(f.detail) ? "VaultSealed" : "VaultUnreachable";
  if (f.status >= 500) return "VaultUnreachable";
  if (f.status === 404) return op === "login" ? "VaultPermissionDenied" : "SecretNotFound";
  // Transit answers 400 "encryption key not found" for a missing key; login answers 400 for an unknown role.
  if (f.status === 400) return op === "datakey" || op === "decrypt" ? "SecretNotFound" : "VaultPermissionDenied";
  return "VaultPermissionDenied";
}

const VERB: Record<Operation, string> = {
  login: "logging in to",
  read: "reading",
  write: "writing",
  delete: "deleting",
  datakey: "generating a data key with",
  decrypt: "unwrapping a data key with",
  renew: "renewing the token of",
};

export function vaultError(op: Operation, err: unknown, where: { path: string; role: string }): VaultError {
  if (err instanceof VaultError) return err;
  const f = callFailure(err);
  const reason = failureReason(op, f);
  return new VaultError(
    reason,
    `${reason}: ${VERB[op]} Vault path "${where.path}" as role "${where.role}" failed: ${f.detail}`,
    where,
  );
}
