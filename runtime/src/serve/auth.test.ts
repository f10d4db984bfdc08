import { describe, expect, it } from "vitest";
import { authorizationOf, callerOf, TokenSet } from "./auth.js";

const headers =
  (h: Record<string, string>) =>
  (name: string): string | undefined =>
    h[name];

describe("X-API-Key, the header that survives the API server's proxy", () => {
  it("is read as a bearer token only when there is no Authorization header", () => {
    expect(authorizationOf(headers({ "x-api-key": "k1" }))).toBe("Bearer k1");
    expect(authorizationOf(headers({ authorization: "Bearer a", "x-api-key": "k1" }))).toBe("Bearer a");
    expect(authorizationOf(headers({ "x-api-key": "  " }))).toBeUndefined();
    expect(authorizationOf(headers({}))).toBeUndefined();
  });

  it("passes the same TokenSet check and hashes to the same caller as the bearer token", () => {
    const set = new TokenSet(["k1"]);
    expect(set.authenticate(headers({ "x-api-key": "k1" }))).toBe(true);
    expect(set.authenticate(headers({ "x-api-key": "k2" }))).toBe(false);
    expect(set.authenticate(headers({ "x-api-key": "k1 k2" }))).toBe(false);
    expect(callerOf(authorizationOf(headers({ "x-api-key": "k1" })))).toBe(callerOf("Bearer k1"));
  });
});
