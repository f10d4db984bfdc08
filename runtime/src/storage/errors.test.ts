import { describe, expect, it } from "vitest";
import { STORAGE_REASONS, StorageReason } from "../contract/storage-reasons.js";
import { StorageError, storageError } from "./errors.js";

const URI = "s3://b/k";
const sdk = (name: string, status: number) =>
  Object.assign(new Error(`${name} said`), { name, $metadata: { httpStatusCode: status } });

describe("storageError", () => {
  it.each([
    [sdk("NoSuchBucket", 404), StorageReason.StorageNotFound, /bucket does not exist/],
    [sdk("NoSuchKey", 404), StorageReason.StorageNotFound, /no such object/],
    [sdk("NotFound", 404), StorageReason.StorageNotFound, /no such object/],
    [sdk("AccessDenied", 403), StorageReason.StorageAccessDenied, /refused access \(AccessDenied\)/],
    [sdk("InvalidAccessKeyId", 403), StorageReason.StorageAccessDenied, /access key is unknown/],
    [sdk("SignatureDoesNotMatch", 403), StorageReason.StorageAccessDenied, /secret key does not match/],
    [sdk("Unknown", 403), StorageReason.StorageAccessDenied, /\(HTTP 403\)/],
    [sdk("BadDigest", 400), StorageReason.StorageDigestMismatch, /damaged on the way/],
    [
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      StorageReason.StorageUnreachable,
      /ECONNREFUSED/,
    ],
    [Object.assign(new Error("getaddrinfo"), { code: "ENOTFOUND" }), StorageReason.StorageUnreachable, /ENOTFOUND/],
    [
      Object.assign(new AggregateError([Object.assign(new Error("x"), { code: "ECONNREFUSED" })]), {}),
      StorageReason.StorageUnreachable,
      /ECONNREFUSED/,
    ],
    [
      Object.assign(new Error("socket timed out"), { name: "TimeoutError" }),
      StorageReason.StorageUnreachable,
      /TimeoutError/,
    ],
    [
      Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }),
      StorageReason.StorageCredentialsUnavailable,
      /no S3 credentials found/,
    ],
    [sdk("InternalError", 500), StorageReason.StorageTransferFailed, /InternalError \(HTTP 500\)/],
    [Object.assign(new Error("disk"), { code: "ENOSPC" }), StorageReason.StorageTransferFailed, /no space left/],
  ])("%s → %s", (err, reason, message) => {
    const e = storageError(err, URI, "http://s3.local:8333");
    expect(e.reason).toBe(reason);
    expect(e.uri).toBe(URI);
    expect(e.message.startsWith(`${reason}: ${URI}: `)).toBe(true);
    expect(e.message).toMatch(message);
  });

  it("an unreachable endpoint is named", () => {
    const e = storageError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }), URI, "http://s3.local:8333");
    expect(e.message).toContain("http://s3.local:8333");
  });

  it("a StorageError raised elsewhere (a Vault path) gets the object's URI, keeping reason and cause", () => {
    const inner = new StorageError(StorageReason.StorageCredentialsUnavailable, "vault:secret/data/s3", "Vault sealed");
    const e = storageError(inner, URI);
    expect([e.reason, e.uri]).toEqual([StorageReason.StorageCredentialsUnavailable, URI]);
    expect(e.message).toContain("Vault sealed (vault:secret/data/s3)");
    expect(storageError(e, URI)).toBe(e);
  });

  it("the reasons are the contract's six", () => {
    expect([...STORAGE_REASONS].sort()).toEqual([
      "StorageAccessDenied",
      "StorageCredentialsUnavailable",
      "StorageDigestMismatch",
      "StorageNotFound",
      "StorageTransferFailed",
      "StorageUnreachable",
    ]);
  });
});
