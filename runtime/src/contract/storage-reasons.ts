// The reasons an s3:// read or write fails with (runtime/src/storage/errors.ts). A pod puts one first in its report,
// termination message or error line ("StorageNotFound: s3://bucket/key: …"); the operator copies it into the
// condition's reason (operator/src/reasons.ts), so both sides spell them from here. docs/storage.md explains each.
export const StorageReason = {
  /** The bucket or the key does not exist (NoSuchBucket, NoSuchKey, 404), or a prefix holds no version. */
  StorageNotFound: "StorageNotFound",
  /** The server refused the keys or the policy (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, 403). */
  StorageAccessDenied: "StorageAccessDenied",
  /** No answer: connection refused, name not resolved, connect or socket timeout. */
  StorageUnreachable: "StorageUnreachable",
  /** The bytes read (or sent) do not match the sha256 the object, the manifest or the caller names. */
  StorageDigestMismatch: "StorageDigestMismatch",
  /** Any other failure of a transfer (a cut that resuming could not repair, a server error, a full disk). */
  StorageTransferFailed: "StorageTransferFailed",
  /** No keys: the Vault read failed or lacks an entry, or the SDK's default chain found none. */
  StorageCredentialsUnavailable: "StorageCredentialsUnavailable",
} as const;

export type StorageFailureReason = (typeof StorageReason)[keyof typeof StorageReason];

export const STORAGE_REASONS: readonly StorageFailureReason[] = Object.values(StorageReason);
