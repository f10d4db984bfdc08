// An in-memory stand-in for Vault as the runtime's pods use it (unit tests only; integration tests use the real
// OpenBao): transit mints a fresh data key per call and unwraps only what it minted; KV v2 keeps, reads and destroys
// secrets by data path, failing a missing one with SecretNotFound like the real client.
import { randomBytes } from "node:crypto";
import { VaultError } from "../../runtime/src/vault/errors.js";

export interface FakeVault {
  /** The KV secrets by data path (tests look into it). */
  kv: Map<string, Record<string, string>>;
  readKv(path: string, key: string): Promise<string>;
  readKvData(path: string): Promise<Record<string, string>>;
  writeKv(path: string, data: Record<string, string>): Promise<void>;
  destroyKv(path: string): Promise<void>;
  generateWrappedDataKey(transitKey: string): Promise<{ wrappedKey: string }>;
  unwrapDataKey(transitKey: string, wrappedKey: string): Promise<Buffer>;
  close(): void;
}

export function fakeVault(): FakeVault {
  const kv = new Map<string, Record<string, string>>();
  const minted = new Map<string, Buffer>();
  const notFound = (path: string) =>
    new VaultError("SecretNotFound", `SecretNotFound: Vault path "${path}" (role "fake") has no current version`, {
      path,
      role: "fake",
    });
  const readKvData = async (path: string) => {
    const data = kv.get(path);
    if (!data) throw notFound(path);
    return { ...data };
  };
  return {
    kv,
    readKvData,
    readKv: async (path, key) => {
      const v = (await readKvData(path))[key];
      if (v === undefined) throw notFound(path);
      return v;
    },
    writeKv: async (path, data) => {
      kv.set(path, { ...data });
    },
    destroyKv: async (path) => {
      kv.delete(path);
    },
    generateWrappedDataKey: async (transitKey) => {
      const wrappedKey = `vault:v1:${transitKey}:${randomBytes(8).toString("hex")}`;
      minted.set(wrappedKey, randomBytes(32));
      return { wrappedKey };
    },
    unwrapDataKey: async (transitKey, wrappedKey) => {
      const key = wrappedKey.startsWith(`vault:v1:${transitKey}:`) ? minted.get(wrappedKey) : undefined;
      if (!key) throw notFound(`transit/decrypt/${transitKey}`);
      return Buffer.from(key);
    },
    close: () => undefined,
  };
}
