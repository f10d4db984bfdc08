// The test cluster's OpenBao as workloads use it: Kubernetes-auth login with real service-account tokens of
// audience "vault" (TokenReview by the API server), KV v2 and transit data keys through runtime/src/vault, and
// each failure as the reason the operator will report: wrong role, wrong audience, missing path, sealed, down.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { readInitSecrets } from "../../devcluster/openbao/init.js";
import { openbaoLayout } from "../../devcluster/openbao/server.js";
import { loginVaultClient, type VaultClient, VaultError } from "../../runtime/src/vault/index.js";
import { kubeConfig, testNamespace } from "../support/kube.js";
import { pollUntil } from "../support/poll.js";
import { type TestVault, testVault } from "../support/vault.js";

async function failure(p: Promise<unknown>): Promise<VaultError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VaultError);
  return err as VaultError;
}

describe("OpenBao in the local cluster", () => {
  let kc: KubeConfig;
  let vault: TestVault;
  let ns: { name: string; delete(): Promise<void> };
  const clients: VaultClient[] = [];
  const dbPassword = `pw-${Math.random().toString(36).slice(2)}`;

  /** Vault's state changes are not instant for its clients: read until it works, with a deadline. */
  const readAgain = (c: VaultClient) =>
    pollUntil("the secret readable again", () => c.readKv(`secret/data/${ns.name}/postgres`, "password"), {
      timeoutMs: 15_000,
      intervalMs: 200,
    });

  async function client(role: string, tokenFile: string): Promise<VaultClient> {
    const c = await loginVaultClient({ address: vault.address, caFile: vault.caFile, role, tokenFile });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    kc = kubeConfig(inject("kubeconfig"));
    vault = testVault(inject("clusterName"));
    ns = await testNamespace(kc, "vault");
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of ["reader", "other"])
      await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name } } });
    await vault.putKv(`secret/data/${ns.name}/postgres`, { password: dbPassword });
    await vault.createTransitKey(`${ns.name}-data`);
    await vault.createRole({
      name: `${ns.name}-reader`,
      namespace: ns.name,
      serviceAccount: "reader",
      datakeyKeys: [`${ns.name}-data`],
      decryptKeys: [`${ns.name}-data`],
    });
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await ns?.delete();
  });

  it("runs initialised and unsealed, with its keys in a 0600 file that no log contains", async () => {
    const config = clusterConfig(inject("clusterName"));
    const layout = openbaoLayout(config);
    expect(statSync(layout.initFile).mode & 0o777).toBe(0o600);
    const health = (await vault.admin.read("sys/health")) as { initialized: boolean; sealed: boolean };
    expect(health).toMatchObject({ initialized: true, sealed: false });
    const mounts = (await vault.admin.read("sys/mounts")) as { data: Record<string, { type: string }> };
    expect(mounts.data["secret/"]?.type).toBe("kv");
    expect(mounts.data["transit/"]?.type).toBe("transit");
    const auths = (await vault.admin.read("sys/auth")) as { data: Record<string, { type: string }> };
    expect(auths.data["kubernetes/"]?.type).toBe("kubernetes");
    const secrets = readInitSecrets(layout);
    for (const f of readdirSync(config.logDir)) {
      const text = readFileSync(join(config.logDir, f), "utf8");
      expect(text.includes(secrets?.rootToken ?? "-"), f).toBe(false);
      expect(text.includes(secrets?.unsealKey ?? "-"), f).toBe(false);
    }
  });

  it("logs a service account in with a token of audience vault and reads its namespace's secret", async () => {
    const c = await client(`${ns.name}-reader`, await vault.tokenFile(kc, ns.name, "reader"));
    expect(await c.readKv(`secret/data/${ns.name}/postgres`, "password")).toBe(dbPassword);
  });

  it("mints a wrapped data key and unwraps it to the same 32 bytes", async () => {
    const c = await client(`${ns.name}-reader`, await vault.tokenFile(kc, ns.name, "reader"));
    const a = await c.generateWrappedDataKey(`${ns.name}-data`);
    const b = await c.generateWrappedDataKey(`${ns.name}-data`);
    expect(a.wrappedKey).toMatch(/^vault:v1:/);
    expect(b.wrappedKey).not.toBe(a.wrappedKey);
    const key = await c.unwrapDataKey(`${ns.name}-data`, a.wrappedKey);
    expect(key.length).toBe(32);
    expect((await c.unwrapDataKey(`${ns.name}-data`, a.wrappedKey)).equals(key)).toBe(true);
    expect((await c.unwrapDataKey(`${ns.name}-data`, b.wrappedKey)).equals(key)).toBe(false);
  });

  it("refuses another service account, another audience and an unknown role, naming the role", async () => {
    const role = `${ns.name}-reader`;
    const other = await failure(client(role, await vault.tokenFile(kc, ns.name, "other")));
    expect(other.reason).toBe("VaultPermissionDenied");
    expect(other.role).toBe(role);
    expect(other.message).toContain(`role "${role}"`);

    const wrongAudience = await vault.tokenFile(kc, ns.name, "reader", { audience: "not-vault" });
    expect((await failure(client(role, wrongAudience))).reason).toBe("VaultPermissionDenied");

    const unknown = await failure(client("no-such-role", await vault.tokenFile(kc, ns.name, "reader")));
    expect(unknown.reason).toBe("VaultPermissionDenied");
    expect(unknown.message).toContain('role "no-such-role"');
  });

  it("reports a missing secret, a missing key and a path outside the policy by path, never by value", async () => {
    const c = await client(`${ns.name}-reader`, await vault.tokenFile(kc, ns.name, "reader"));
    const missing = await failure(c.readKv(`secret/data/${ns.name}/nothing-here`, "password"));
    expect(missing.reason).toBe("SecretNotFound");
    expect(missing.path).toBe(`secret/data/${ns.name}/nothing-here`);
    const noKey = await failure(c.readKv(`secret/data/${ns.name}/postgres`, "user"));
    expect(noKey.reason).toBe("SecretNotFound");
    expect(noKey.message).toContain('"user"');
    expect(noKey.message).not.toContain(dbPassword);
    await vault.putKv("secret/data/elsewhere/postgres", { password: "not-yours" });
    const denied = await failure(c.readKv("secret/data/elsewhere/postgres", "password"));
    expect(denied.reason).toBe("VaultPermissionDenied");
    expect(denied.message).toContain('path "secret/data/elsewhere/postgres"');
    const noTransitKey = await failure(c.generateWrappedDataKey("no-such-key"));
    expect(noTransitKey.reason).toBe("VaultPermissionDenied");
  });

  it("logs in again by itself after its token is revoked", async () => {
    const c = await client(`${ns.name}-reader`, await vault.tokenFile(kc, ns.name, "reader"));
    await vault.revokeLogins();
    expect(await c.readKv(`secret/data/${ns.name}/postgres`, "password")).toBe(dbPassword);
  });

  it("renews its token past the TTL without the token file, and logs in again once the max TTL is reached", async () => {
    const role = `${ns.name}-short`;
    await vault.createRole({
      name: role,
      namespace: ns.name,
      serviceAccount: "reader",
      ttlSeconds: 3,
      maxTtlSeconds: 8,
    });
    const file = await vault.tokenFile(kc, ns.name, "reader");
    const jwt = readFileSync(file, "utf8");
    const c = await client(role, file);
    const path = `secret/data/${ns.name}/postgres`;
    // Without the token file no login is possible: reads past the 3 s TTL succeed only through renewal.
    rmSync(file);
    for (const until = Date.now() + 5000; Date.now() < until; await new Promise((r) => setTimeout(r, 500)))
      expect(await c.readKv(path, "password")).toBe(dbPassword);
    // Past the 8 s max TTL the token cannot be renewed any further: only a fresh login keeps it working.
    writeFileSync(file, jwt, { mode: 0o600 });
    for (const until = Date.now() + 6000; Date.now() < until; await new Promise((r) => setTimeout(r, 500)))
      expect(await c.readKv(path, "password")).toBe(dbPassword);
  });

  it("says VaultSealed while sealed and works again once unsealed, with the same client", async () => {
    const c = await client(`${ns.name}-reader`, await vault.tokenFile(kc, ns.name, "reader"));
    await vault.seal();
    try {
      expect((await failure(c.readKv(`secret/data/${ns.name}/postgres`, "password"))).reason).toBe("VaultSealed");
    } finally {
      await vault.unseal();
    }
    expect(await readAgain(c)).toBe(dbPassword);
  });

  it("says VaultUnreachable while stopped; after a restart its secrets are still there", async () => {
    const c = await client(`${ns.name}-reader`, await vault.tokenFile(kc, ns.name, "reader"));
    await vault.stop();
    try {
      const down = await failure(c.readKv(`secret/data/${ns.name}/postgres`, "password"));
      expect(down.reason).toBe("VaultUnreachable");
      expect(down.message).toContain("ECONNREFUSED");
      const atStart = await failure(
        loginVaultClient({
          address: vault.address,
          caFile: vault.caFile,
          role: `${ns.name}-reader`,
          tokenFile: await vault.tokenFile(kc, ns.name, "reader"),
        }),
      );
      expect(atStart.reason).toBe("VaultUnreachable");
    } finally {
      await vault.start();
    }
    expect(await readAgain(c)).toBe(dbPassword);
  });
});
