import { describe, expect, it } from "vitest";
import { renewDelayMs } from "./client.js";
import { vaultOptionsFromEnv } from "./env.js";
import { VaultError } from "./errors.js";

describe("vaultOptionsFromEnv", () => {
  it("reads the operator's variables, with defaults for mount and token file", () => {
    expect(vaultOptionsFromEnv({ LIFTOFF_VAULT_ADDR: "https://vault:8200", LIFTOFF_VAULT_ROLE: "serve" })).toEqual({
      address: "https://vault:8200",
      role: "serve",
      tokenFile: "/var/run/secrets/liftoff/vault/token",
    });
    expect(
      vaultOptionsFromEnv({
        LIFTOFF_VAULT_ADDR: "https://10.87.0.1:23470",
        LIFTOFF_VAULT_ROLE: "serve",
        LIFTOFF_VAULT_AUTH_MOUNT: "k8s-prod",
        LIFTOFF_VAULT_CACERT: "/var/run/secrets/liftoff/vault/ca.crt",
        LIFTOFF_VAULT_TOKEN_FILE: "/var/run/secrets/liftoff/vault/token",
      }),
    ).toMatchObject({ authMount: "k8s-prod", caFile: "/var/run/secrets/liftoff/vault/ca.crt" });
  });

  it("maps container paths under the local node agent's root", () => {
    const opts = vaultOptionsFromEnv({
      LIFTOFF_VAULT_ADDR: "https://x",
      LIFTOFF_VAULT_ROLE: "r",
      LIFTOFF_VAULT_CACERT: "/var/run/secrets/liftoff/vault/ca.crt",
      LIFTOFF_PATH_PREFIX: "/state/pods/ns/p/roots/c",
    });
    expect(opts.tokenFile).toBe("/state/pods/ns/p/roots/c/var/run/secrets/liftoff/vault/token");
    expect(opts.caFile).toBe("/state/pods/ns/p/roots/c/var/run/secrets/liftoff/vault/ca.crt");
  });

  it("names the missing variable", () => {
    expect(() => vaultOptionsFromEnv({ LIFTOFF_VAULT_ROLE: "r" })).toThrow(/LIFTOFF_VAULT_ADDR is not set/);
    expect(() => vaultOptionsFromEnv({ LIFTOFF_VAULT_ADDR: "https://x" })).toThrow(VaultError);
    expect(() => vaultOptionsFromEnv({ LIFTOFF_VAULT_ADDR: "https://x" })).toThrow(/LIFTOFF_VAULT_ROLE/);
  });
});

describe("renewDelayMs", () => {
  it("renews two thirds into the lease, never sooner than a second", () => {
    expect(renewDelayMs(600)).toBe(400_000);
    expect(renewDelayMs(3)).toBe(2000);
    expect(renewDelayMs(1)).toBe(1000);
  });
});
