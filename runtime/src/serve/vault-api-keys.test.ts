import { describe, expect, it } from "vitest";
import type { RuntimeError } from "../errors.js";
import { VaultError } from "../vault/errors.js";
import { saveLayersModel, serverFor, tempDir, tinyDense } from "./test-helpers.js";
import { parseKeys, VaultApiKeys } from "./vault-api-keys.js";

function setup(initial: Record<string, string>) {
  let data = initial;
  let failing = false;
  let now = 1_000_000;
  const warnings: string[] = [];
  const keys = new VaultApiKeys(
    {
      read: async () => {
        if (failing) throw new VaultError("VaultUnreachable", 'VaultUnreachable: reading Vault path "p" failed');
        return data;
      },
    },
    {
      key: "iris",
      refreshMs: 60_000,
      graceMs: 30_000,
      now: () => now,
      log: { info: () => undefined, warn: (m) => warnings.push(m) },
      where: { path: "secret/data/team-a/api-keys", role: "team-a-iris" },
    },
  );
  const ask = async (token: string | undefined) => {
    try {
      return await keys.authenticate((h) => (h === "authorization" && token !== undefined ? token : undefined));
    } catch (err) {
      return (err as RuntimeError).statusCode;
    }
  };
  return {
    keys,
    ask,
    warnings,
    set: (d: Record<string, string>) => {
      data = d;
    },
    fail: (f: boolean) => {
      failing = f;
    },
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe("API keys from Vault", () => {
  it("accepts this model's keys and refuses anything else, another model's key included", async () => {
    const t = setup({ iris: "k-iris-1, k-iris-2", wine: "k-wine" });
    await t.keys.start();
    t.keys.stop();
    expect(await t.ask("Bearer k-iris-1")).toBe(true);
    expect(await t.ask("bearer k-iris-2")).toBe(true);
    expect(await t.ask("Bearer k-wine")).toBe(false);
    expect(await t.ask("Bearer nope")).toBe(false);
    expect(await t.ask("k-iris-1")).toBe(false);
    expect(await t.ask(undefined)).toBe(false);
  });

  it("accepts the key in X-API-Key like the bearer token (the API server's proxy drops Authorization)", async () => {
    const t = setup({ iris: "k-iris-1", wine: "k-wine" });
    await t.keys.start();
    t.keys.stop();
    const viaHeader = (key: string) => t.keys.authenticate((name) => (name === "x-api-key" ? key : undefined));
    expect(viaHeader("k-iris-1")).toBe(true);
    expect(viaHeader("k-wine")).toBe(false);
    expect(viaHeader("")).toBe(false);
  });

  it("takes a rotated key at the next refresh and keeps the old one for the grace period only", async () => {
    const t = setup({ iris: "old" });
    await t.keys.start();
    t.keys.stop();
    t.set({ iris: "new" });
    expect(await t.ask("Bearer new")).toBe(false);
    await t.keys.refresh();
    expect(await t.ask("Bearer new")).toBe(true);
    t.advance(29_000);
    expect(await t.ask("Bearer old")).toBe(true);
    t.advance(2_000);
    expect(await t.ask("Bearer old")).toBe(false);
    expect(await t.ask("Bearer new")).toBe(true);
  });

  it("keeps the last keys while Vault cannot be read, and says so without a value", async () => {
    const t = setup({ iris: "k1" });
    await t.keys.start();
    t.keys.stop();
    t.fail(true);
    await t.keys.refresh();
    expect(await t.ask("Bearer k1")).toBe(true);
    expect(t.warnings.join("\n")).toContain("VaultUnreachable");
    expect(t.warnings.join("\n")).not.toContain("k1");
  });

  it("refuses to start without keys, naming path and role", async () => {
    const t = setup({ wine: "k-wine" });
    const err = await t.keys.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).reason).toBe("SecretNotFound");
    expect((err as VaultError).message).toBe(
      'SecretNotFound: Vault path "secret/data/team-a/api-keys" (role "team-a-iris") has no API keys under "iris"',
    );
  });

  it("lets the current keys retire gracefully when the entry is emptied later", async () => {
    const t = setup({ iris: "k1" });
    await t.keys.start();
    t.keys.stop();
    t.set({ iris: "" });
    await t.keys.refresh();
    expect(await t.ask("Bearer k1")).toBe(true);
    t.advance(31_000);
    expect(await t.ask("Bearer k1")).toBe(false);
  });

  it("parses one key per line or comma-separated, skipping blanks and comments", () => {
    expect(parseKeys("a, b\n\n# old\nc\r\n")).toEqual(["a", "b", "c"]);
  });

  it("finding: an unknown key and another model's key get the same status and body (no 401 vs 403)", async () => {
    const t = setup({ iris: "k-iris", wine: "k-wine" });
    await t.keys.start();
    t.keys.stop();
    const { app } = await serverFor(await saveLayersModel(tinyDense(), await tempDir()), { auth: t.keys });
    try {
      const call = (key: string) =>
        app.inject({
          method: "POST",
          url: "/v1/models/m:predict",
          payload: { instances: [[1, 2, 3]] },
          headers: { authorization: `Bearer ${key}` },
        });
      const [unknown, other] = [await call("k-nope"), await call("k-wine")];
      expect(unknown.statusCode).toBe(401);
      expect([other.statusCode, other.body, other.headers["www-authenticate"]]).toEqual([
        unknown.statusCode,
        unknown.body,
        unknown.headers["www-authenticate"],
      ]);
      expect((await call("k-iris")).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
