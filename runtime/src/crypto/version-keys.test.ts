// The per-version key store against the in-memory Vault: the key goes to KV under a fresh keyId, opens again from
// there, and once shredded fails DataKeyShredded; an old manifest's inline wrapped key still opens.
import { describe, expect, it } from "vitest";
import { fakeVault } from "../../../test/support/fake-vault.js";
import { VaultError } from "../vault/errors.js";
import { createVersionKey, openVersionKey, parseOwner, shredVersionKey, versionKeyPath } from "./version-keys.js";

const owner = { namespace: "team-a", dataset: "penguins" };
const enc = (keyId: string, transitKey = "data") =>
  ({ transitKey, keyId, algorithm: "AES-256-GCM", segmentSize: 1 << 20 }) as const;

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    // The message starts with the reason, as every VaultError's does.
    if (err instanceof VaultError && err.message.startsWith(`${err.reason}: `)) return err.message;
    throw err;
  }
  throw new Error("expected a VaultError");
}

describe("version keys", () => {
  it("stores each version's wrapped key in KV under its own keyId, and opens it from there", async () => {
    const vault = fakeVault();
    const now = new Date("2026-12-07T09:00:00Z");
    const a = await createVersionKey(vault, { ...owner, transitKey: "data", now });
    const b = await createVersionKey(vault, { ...owner, transitKey: "data", now });
    expect(a.keyId).toMatch(/^[0-9a-f]{32}$/);
    expect(b.keyId).not.toBe(a.keyId);
    expect(a.dataKey.equals(b.dataKey)).toBe(false);
    expect(vault.kv.get(`secret/data/team-a/liftoff-datakeys/penguins/${a.keyId}`)).toEqual({
      wrappedKey: expect.stringMatching(/^vault:v1:data:/),
      transitKey: "data",
      dataset: "team-a/penguins",
      createdAt: "2026-12-07T09:00:00.000Z",
    });
    expect((await openVersionKey(vault, enc(a.keyId), owner)).equals(a.dataKey)).toBe(true);
  });

  it("fails DataKeyShredded once shredded, while the other versions still open", async () => {
    const vault = fakeVault();
    const a = await createVersionKey(vault, { ...owner, transitKey: "data" });
    const b = await createVersionKey(vault, { ...owner, transitKey: "data" });
    await shredVersionKey(vault, { ...owner, keyId: a.keyId });
    expect(await reasonOf(openVersionKey(vault, enc(a.keyId), owner))).toBe(
      `DataKeyShredded: the data key ${a.keyId} of DataSet team-a/penguins is not in Vault (secret/data/team-a/liftoff-datakeys/penguins/${a.keyId}): the version was shredded (retention or erasure) and its files can no longer be decrypted`,
    );
    expect((await openVersionKey(vault, enc(b.keyId), owner)).equals(b.dataKey)).toBe(true);
    // Shredding twice is no error (a prune retried after a crash).
    await shredVersionKey(vault, { ...owner, keyId: a.keyId });
  });

  it("refuses a manifest whose transit key differs from the stored one, and a keyId without its DataSet", async () => {
    const vault = fakeVault();
    const a = await createVersionKey(vault, { ...owner, transitKey: "data" });
    expect(await reasonOf(openVersionKey(vault, enc(a.keyId, "other"), owner))).toMatch(
      /^SecretNotFound: .*wrapped with transit key "data", the version's manifest names "other"$/,
    );
    expect(await reasonOf(openVersionKey(vault, enc(a.keyId), undefined))).toMatch(
      /^SecretNotFound: .*this reader was not told which DataSet/,
    );
  });

  it("opens an old manifest's inline wrapped key", async () => {
    const vault = fakeVault();
    const { wrappedKey } = await vault.generateWrappedDataKey("data");
    const key = await openVersionKey(
      vault,
      { transitKey: "data", wrappedKey, algorithm: "AES-256-GCM", segmentSize: 1 << 20 },
      undefined,
    );
    expect(key.equals(await vault.unwrapDataKey("data", wrappedKey))).toBe(true);
  });

  it("keeps paths inside the store: names and keyIds are checked", () => {
    expect(() => versionKeyPath({ namespace: "a", dataset: "../b" }, "0".repeat(32))).toThrow(/not a Kubernetes name/);
    expect(() => versionKeyPath(owner, "../../x")).toThrow(/not 32 hex digits/);
    expect(parseOwner("team-a/penguins")).toEqual(owner);
    expect(parseOwner("penguins")).toBeUndefined();
    expect(parseOwner("a/b/c")).toBeUndefined();
  });
});
