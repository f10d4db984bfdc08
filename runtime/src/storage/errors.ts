// The one error type of the storage layer: a reason (contract/storage-reasons.ts) the operator turns into a
// condition, the URI it concerns and a message that says what to fix. Like VaultError, the message starts with the
// reason ("StorageNotFound: s3://b/k: …") so a pod can print it as its error line; it never carries a key or a body.
import { type StorageFailureReason, StorageReason } from "../contract/storage-reasons.js";

export type { StorageFailureReason };

export class StorageError extends Error {
  override name = "StorageError";
  constructor(
    readonly reason: StorageFailureReason,
    /** s3://bucket/key (or the local path) the failure concerns. */
    readonly uri: string,
    /** What went wrong and what to change, without the reason and URI (the message prefixes them). */
    readonly detail: string,
  ) {
    super(`${reason}: ${uri}: ${detail}`);
  }
}

/** The fields of an SDK (smithy) or Node error that tell what happened. */
interface ErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  errors?: unknown[];
  $metadata?: { httpStatusCode?: number };
}

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EHOSTDOWN",
]);
const DENIED_NAMES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "Forbidden",
  "InvalidToken",
  "ExpiredToken",
  "AllAccessDisabled",
]);

/** The Node error code of err, looking into an AggregateError (a name with an IPv4 and an IPv6 address). */
function nodeCode(e: ErrorShape): string | undefined {
  if (typeof e.code === "string") return e.code;
  const inner = e.errors?.[0] as ErrorShape | undefined;
  return typeof inner?.code === "string" ? inner.code : undefined;
}

/** First line of a server's or Node's message, short: enough to tell the cause, never a body. */
function short(text: string | undefined): string {
  const line = (text ?? "").split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/**
 * Maps an SDK, network or file error to a StorageError naming `uri` (pure; a StorageError passes through).
 * `endpoint` is named in unreachable messages (the SDK's own text does not say where it tried to connect).
 */
export function storageError(err: unknown, uri: string, endpoint?: string): StorageError {
  if (err instanceof StorageError) {
    // Raised where the URI was not known (the credential provider names its Vault path): name the object too.
    return err.uri === uri ? err : new StorageError(err.reason, uri, `${err.detail} (${err.uri})`);
  }
  const e = (err ?? {}) as ErrorShape;
  const name = e.name ?? "";
  const status = e.$metadata?.httpStatusCode;
  const code = nodeCode(e);
  const where = endpoint ? `the endpoint ${endpoint}` : "the S3 endpoint";
  if (name === "NoSuchBucket") {
    return new StorageError(
      StorageReason.StorageNotFound,
      uri,
      "the bucket does not exist; create it or fix the bucket in the URI",
    );
  }
  if (name === "BadDigest" || name === "XAmzContentSHA256Mismatch") {
    return new StorageError(
      StorageReason.StorageDigestMismatch,
      uri,
      `the server received bytes that do not match their checksum (${name}): damaged on the way; retry`,
    );
  }
  if (name === "NoSuchKey" || name === "NotFound" || status === 404) {
    return new StorageError(StorageReason.StorageNotFound, uri, "no such object; check the URI (bucket and key)");
  }
  if (DENIED_NAMES.has(name) || status === 403) {
    const why =
      name === "InvalidAccessKeyId"
        ? "the access key is unknown to the server"
        : name === "SignatureDoesNotMatch"
          ? "the secret key does not match the access key"
          : name === "ExpiredToken" || name === "InvalidToken"
            ? "the session token is expired or invalid"
            : "the server refused access";
    const code = name && name !== "Unknown" ? name : `HTTP ${status ?? 403}`;
    return new StorageError(
      StorageReason.StorageAccessDenied,
      uri,
      `${why} (${code}); check the keys (spec.storage.credentials / AWS_* env) and the bucket policy`,
    );
  }
  if (name === "CredentialsProviderError" || /Could not load credentials/i.test(e.message ?? "")) {
    return new StorageError(
      StorageReason.StorageCredentialsUnavailable,
      uri,
      `no S3 credentials found (${short(e.message)}); set spec.storage.credentials, or give the pod AWS credentials (web identity / IRSA, AWS_ACCESS_KEY_ID)`,
    );
  }
  if (name === "TimeoutError" || (code !== undefined && UNREACHABLE_CODES.has(code))) {
    return new StorageError(
      StorageReason.StorageUnreachable,
      uri,
      `${where} does not answer (${code ?? name}); check spec.storage.endpoint / AWS_ENDPOINT_URL_S3 and that the server runs and is reachable from here`,
    );
  }
  if (code === "ENOSPC") {
    return new StorageError(StorageReason.StorageTransferFailed, uri, "no space left on the local disk");
  }
  const what = name && name !== "Error" ? `${name}${status ? ` (HTTP ${status})` : ""}` : (code ?? "error");
  return new StorageError(StorageReason.StorageTransferFailed, uri, `${what}: ${short(e.message)}`);
}
