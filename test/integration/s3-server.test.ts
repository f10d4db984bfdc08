// The test cluster's S3 server (SeaweedFS, started by cluster:up): it stores and lists objects, each identity has
// exactly its rights, pods' address answers, and the keys in OpenBao KV (read with a workload's own Vault login,
// as a pod does) are working keys.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { s3ClientFor } from "../../devcluster/seaweedfs/bucket.js";
import { S3_KV_KEYS } from "../../runtime/src/contract/storage.js";
import { loginVaultClient } from "../../runtime/src/vault/index.js";
import { kubeConfig, testNamespace } from "../support/kube.js";
import { bucketFor, type TestS3, testS3 } from "../support/s3.js";
import { type TestVault, testVault } from "../support/vault.js";

const bucket = bucketFor(import.meta.url);

function denied(e: unknown): boolean {
  return e instanceof S3ServiceException && e.name === "AccessDenied";
}

describe("the local cluster's S3 server", () => {
  let kc: KubeConfig;
  let s3: TestS3;
  let vault: TestVault;
  let ns: { name: string; delete(): Promise<void> };

  beforeAll(async () => {
    kc = kubeConfig(inject("kubeconfig"));
    s3 = testS3(inject("clusterName"));
    vault = testVault(inject("clusterName"));
    ns = await testNamespace(kc, "s3");
    await s3.createBucket(bucket);
    await s3.createBucket(bucket); // idempotent
  });

  afterAll(async () => {
    await s3?.emptyBucket(bucket);
    s3?.close();
    await vault?.deleteRole(`${ns.name}-s3`);
    await ns?.delete();
  });

  it("has the bucket liftoff and stores, reads and lists objects with their metadata", async () => {
    const lo = s3.client("liftoff");
    expect(s3.bucket).toBe("liftoff");
    await lo.send(new ListObjectsV2Command({ Bucket: s3.bucket, MaxKeys: 1 }));
    await lo.send(
      new PutObjectCommand({ Bucket: bucket, Key: "d/a.csv", Body: "x,y\n1,2\n", Metadata: { sha256: "f" } }),
    );
    const got = await lo.send(new GetObjectCommand({ Bucket: bucket, Key: "d/a.csv" }));
    expect(await got.Body?.transformToString()).toBe("x,y\n1,2\n");
    expect(got.Metadata).toEqual({ sha256: "f" });
    const listed = await lo.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "d/" }));
    expect(listed.Contents?.map((c) => [c.Key, c.Size])).toEqual([["d/a.csv", 8]]);
  });

  it("denies the readonly identity a PutObject and a DeleteObject, but lets it read", async () => {
    const ro = s3.client("readonly");
    await expect(ro.send(new PutObjectCommand({ Bucket: bucket, Key: "ro", Body: "x" }))).rejects.toSatisfy(denied);
    await expect(ro.send(new DeleteObjectCommand({ Bucket: bucket, Key: "d/a.csv" }))).rejects.toSatisfy(denied);
    const got = await ro.send(new GetObjectCommand({ Bucket: bucket, Key: "d/a.csv" }));
    expect(await got.Body?.transformToString()).toBe("x,y\n1,2\n");
  });

  it("does not let the liftoff identity create buckets", async () => {
    await expect(s3.client("liftoff").send(new CreateBucketCommand({ Bucket: `${bucket}-x` }))).rejects.toSatisfy(
      denied,
    );
  });

  it("answers where pods reach it", async () => {
    expect(new URL(s3.podEndpoint).port).toBe(new URL(s3.endpoint).port);
    const res = await fetch(`${s3.podEndpoint}/healthz`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
  });

  it("keeps working liftoff keys in OpenBao KV, readable by a workload role", async () => {
    await kc
      .makeApiClient(CoreV1Api)
      .createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: "worker" } } });
    // test/support/vault.ts gives every role the dev cluster's S3 policy; the role itself names no path.
    await vault.createRole({ name: `${ns.name}-s3`, namespace: ns.name, serviceAccount: "worker" });
    const tokenFile = await vault.tokenFile(kc, ns.name, "worker");
    const client = await loginVaultClient({
      address: vault.address,
      caFile: vault.caFile,
      role: `${ns.name}-s3`,
      tokenFile,
    });
    try {
      const data = await client.readKvData(s3.vaultKvPath);
      expect(data[S3_KV_KEYS.accessKeyId]).toBe(s3.keys.liftoff.accessKeyId);
      const fromVault = s3ClientFor(s3.endpoint, {
        accessKeyId: data[S3_KV_KEYS.accessKeyId] ?? "",
        secretAccessKey: data[S3_KV_KEYS.secretAccessKey] ?? "",
      });
      try {
        await fromVault.send(new PutObjectCommand({ Bucket: bucket, Key: "vault/k", Body: "from vault keys" }));
        const got = await fromVault.send(new GetObjectCommand({ Bucket: bucket, Key: "vault/k" }));
        expect(await got.Body?.transformToString()).toBe("from vault keys");
      } finally {
        fromVault.destroy();
      }
    } finally {
      client.close();
    }
  });
});
