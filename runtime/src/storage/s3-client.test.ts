import { describe, expect, it } from "vitest";
import { StorageReason } from "../contract/storage-reasons.js";
import { StorageError } from "./errors.js";
import { uploadPlan } from "./object-store.js";
import { cachedCredentials, type ReadKeys, s3ClientFromEnv, s3SettingsFromEnv, type VaultReader } from "./s3-client.js";
import { joinKey } from "./version-folder.js";

describe("s3SettingsFromEnv", () => {
  it.each([
    [{}, { region: "us-east-1", forcePathStyle: false }],
    [{ AWS_DEFAULT_REGION: "eu-west-1" }, { region: "eu-west-1", forcePathStyle: false }],
    [
      { AWS_REGION: "eu-central-1", AWS_DEFAULT_REGION: "eu-west-1" },
      { region: "eu-central-1", forcePathStyle: false },
    ],
    [
      { AWS_ENDPOINT_URL: "http://minio:9000" },
      { endpoint: "http://minio:9000", region: "us-east-1", forcePathStyle: true },
    ],
    [
      { AWS_ENDPOINT_URL: "http://other:1", AWS_ENDPOINT_URL_S3: "https://s3.local:8333" },
      { endpoint: "https://s3.local:8333", region: "us-east-1", forcePathStyle: true },
    ],
  ])("%j → %j", (env, want) => {
    expect(s3SettingsFromEnv(env)).toEqual(want);
  });

  it("an endpoint that is not an http(s) URL is refused, naming the variable", () => {
    for (const bad of ["minio:9000", "ftp://x", "not a url"]) {
      expect(() => s3SettingsFromEnv({ AWS_ENDPOINT_URL_S3: bad })).toThrow(/AWS_ENDPOINT_URL_S3.*http\(s\):\/\/ URL/);
    }
  });
});

describe("credentials from Vault: failures are StorageCredentialsUnavailable before any transfer", () => {
  const kv = (data: Record<string, string> | Error): VaultReader => ({
    readKvData: async () => {
      if (data instanceof Error) throw data;
      return data;
    },
  });
  const env = { LIFTOFF_S3_VAULT_KV_PATH: "secret/data/team/s3", AWS_ENDPOINT_URL_S3: "http://127.0.0.1:1" };

  async function refusal(p: Promise<unknown>): Promise<StorageError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).reason).toBe(StorageReason.StorageCredentialsUnavailable);
    return err as StorageError;
  }

  it("no Vault client although a Vault path is set", async () => {
    const err = await refusal(s3ClientFromEnv(env));
    expect(err.message).toMatch(/LIFTOFF_S3_VAULT_KV_PATH is set but this process has no Vault client/);
  });

  it("the Vault read fails (its message kept)", async () => {
    const err = await refusal(s3ClientFromEnv(env, kv(new Error("VaultPermissionDenied: role r may not read"))));
    expect(err.uri).toBe("vault:secret/data/team/s3");
    expect(err.message).toMatch(/VaultPermissionDenied: role r may not read/);
  });

  it("the secret lacks the secret key", async () => {
    const err = await refusal(s3ClientFromEnv(env, kv({ accessKeyId: "A" })));
    expect(err.message).toMatch(/lacks secretAccessKey/);
  });

  it("the AWS engine path with a reader that cannot read it, or that returns no keys", async () => {
    const awsEnv = { LIFTOFF_S3_VAULT_AWS_PATH: "aws/creds/r" };
    await refusal(s3ClientFromEnv(awsEnv, kv({})));
    const err = await refusal(s3ClientFromEnv(awsEnv, { ...kv({}), read: async () => ({ data: {} }) }));
    expect(err.message).toMatch(/no access_key/);
  });
});

describe("cachedCredentials", () => {
  const keys = (n: number, leaseSeconds?: number): ReadKeys => ({
    credentials: { accessKeyId: `A${n}`, secretAccessKey: "s" },
    ...(leaseSeconds ? { leaseSeconds } : {}),
  });

  it("reads once per two thirds of a lease, and tells the SDK to ask again from then", async () => {
    let t = 1_000_000;
    let reads = 0;
    const source = cachedCredentials(async () => keys(++reads, 600), { now: () => t });
    const first = await source();
    expect(first.accessKeyId).toBe("A1");
    // The SDK asks again once expiration is within five minutes: at 400 s, when a refresh is due.
    expect(first.expiration?.getTime()).toBe(t + 600_000);
    t += 399_000;
    expect((await source()).accessKeyId).toBe("A1");
    t += 1000;
    expect((await source()).accessKeyId).toBe("A2");
    expect(reads).toBe(2);
  });

  it("keys without a lease (Vault KV) are read again after refreshMs", async () => {
    let t = 0;
    let reads = 0;
    const source = cachedCredentials(async () => keys(++reads), { refreshMs: 1000, now: () => t });
    expect((await source()).expiration?.getTime()).toBe(1000 + 5 * 60_000);
    t = 999;
    await source();
    t = 1000;
    expect((await source()).accessKeyId).toBe("A2");
  });

  it("a failed refresh keeps the keys in hand while their lease lasts, then fails", async () => {
    let t = 0;
    let fail = false;
    const source = cachedCredentials(
      async () => {
        if (fail) throw new Error("vault down");
        return keys(1, 60);
      },
      { now: () => t },
    );
    await source();
    fail = true;
    t = 50_000;
    expect((await source()).accessKeyId).toBe("A1");
    t = 60_000;
    await expect(source()).rejects.toThrow("vault down");
  });

  it("concurrent asks share one read", async () => {
    let reads = 0;
    const source = cachedCredentials(async () => keys(++reads, 600));
    await Promise.all([source(), source(), source()]);
    expect(reads).toBe(1);
  });
});

describe("uploadPlan", () => {
  it.each([0, 1, 100 * 1024 ** 2, 1024 ** 3, 1024 ** 4, 5 * 1024 ** 4])(
    "an object of %d bytes: at most 10,000 parts, parts in flight within the 32 MiB budget or one part",
    (size) => {
      const { partSize, queueSize } = uploadPlan(size);
      expect(partSize).toBeGreaterThanOrEqual(5 * 1024 ** 2);
      expect(Math.ceil(size / partSize)).toBeLessThanOrEqual(10_000);
      expect(queueSize).toBeGreaterThanOrEqual(1);
      expect(partSize * queueSize <= 32 * 1024 ** 2 || queueSize === 1).toBe(true);
    },
  );
});

describe("joinKey", () => {
  it.each([
    ["", "a/b", "a/b"],
    ["/", "a", "a"],
    ["p", "a", "p/a"],
    ["p/q/", "a", "p/q/a"],
    ["/p//", "", "p/"],
  ])("(%j, %j) → %j", (prefix, rel, want) => {
    expect(joinKey(prefix, rel)).toBe(want);
  });
});
