import { describe, expect, it } from "vitest";
import { callFailure, failureReason, VaultError, vaultError } from "./errors.js";

/** The shape node-vault rejects with when Vault answers with an error status. */
function apiError(statusCode: number, errors: string[]) {
  return Object.assign(new Error(errors[0] ?? `Status ${statusCode}`), { response: { statusCode, body: { errors } } });
}

describe("Vault failure reasons", () => {
  it("maps what Vault answers, and silence, to the four reasons", () => {
    expect(failureReason("read", { status: 503, detail: "Vault is sealed" })).toBe("VaultSealed");
    expect(failureReason("read", { status: 503, detail: "standby" })).toBe("VaultUnreachable");
    expect(failureReason("read", { detail: "ECONNREFUSED" })).toBe("VaultUnreachable");
    expect(failureReason("read", { status: 404, detail: "HTTP 404" })).toBe("SecretNotFound");
    expect(failureReason("read", { status: 403, detail: "permission denied" })).toBe("VaultPermissionDenied");
    expect(failureReason("login", { status: 400, detail: 'invalid role name "x"' })).toBe("VaultPermissionDenied");
    expect(failureReason("decrypt", { status: 400, detail: "encryption key not found" })).toBe("SecretNotFound");
    expect(failureReason("datakey", { status: 500, detail: "internal" })).toBe("VaultUnreachable");
  });

  it("keeps only the status, Vault's message and the socket code: never the request body", () => {
    const axiosLike = Object.assign(new Error("connect ECONNREFUSED"), {
      code: "ECONNREFUSED",
      config: { data: '{"jwt":"eyJ-secret-token"}' },
    });
    expect(callFailure(axiosLike)).toEqual({ detail: "ECONNREFUSED" });
    expect(callFailure(apiError(403, ["permission denied"]))).toEqual({ status: 403, detail: "permission denied" });
    expect(callFailure(apiError(404, []))).toEqual({ status: 404, detail: "HTTP 404" });
    const e = vaultError("login", axiosLike, { path: "auth/kubernetes/login", role: "r" });
    expect(e.message).not.toContain("eyJ");
  });

  it("names the path and the role in the message and on the error", () => {
    const e = vaultError("read", apiError(403, ["permission denied"]), { path: "secret/data/a/b", role: "team-a" });
    expect(e).toBeInstanceOf(VaultError);
    expect(e).toMatchObject({ reason: "VaultPermissionDenied", path: "secret/data/a/b", role: "team-a" });
    expect(e.message).toBe(
      'VaultPermissionDenied: reading Vault path "secret/data/a/b" as role "team-a" failed: permission denied',
    );
  });
});
