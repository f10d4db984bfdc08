// The local cluster's S3 server (SeaweedFS, started by cluster:up) for integration tests: where the host and pods
// reach it, the three key pairs, clients and buckets. Tests use a bucket named after their file to stay apart.
import type { S3Client } from "@aws-sdk/client-s3";
import { clusterConfig } from "../../devcluster/cluster/config.js";
import { emptyBucket, ensureBucket, s3ClientFor } from "../../devcluster/seaweedfs/bucket.js";
import {
  readS3Connection,
  readS3Keys,
  type S3Connection,
  seaweedfsLayout,
} from "../../devcluster/seaweedfs/seaweedfs.js";
import type { S3IdentityName, S3Keys } from "../../devcluster/seaweedfs/server.js";
import type { ObjectStorageSpec } from "../../runtime/src/contract/storage.js";

export interface TestS3 extends S3Connection {
  /** admin (buckets and everything), liftoff (objects: what pods get from Vault), readonly (Read, List). */
  keys: S3Keys;
  /** A client on the host endpoint, signed as `identity` (default liftoff). */
  client(identity?: S3IdentityName): S3Client;
  /** Creates the bucket (as admin) unless it exists. */
  createBucket(name: string): Promise<void>;
  /** Deletes every object of `bucket` (under `prefix`); returns how many. */
  emptyBucket(bucket: string, prefix?: string): Promise<number>;
  /** spec.storage for objects whose pods use this server: its pod endpoint, region, the liftoff keys' KV path. */
  podStorage(): ObjectStorageSpec;
  /** Destroys the clients this made. */
  close(): void;
}

/** A bucket name from a test file's name: lower case, digits and '-', 3-63 characters. */
export function bucketFor(testFile: string): string {
  const base = (testFile.split("/").pop() ?? testFile).replace(/\.test\.[cm]?[jt]s$/, "");
  const name = `t-${base.toLowerCase().replace(/[^a-z0-9-]+/g, "-")}`.replace(/-+$/, "");
  return name.slice(0, 63);
}

export function testS3(clusterName: string): TestS3 {
  const config = clusterConfig(clusterName);
  const conn = readS3Connection(config);
  const keys = readS3Keys(seaweedfsLayout(config));
  if (!keys) throw new Error(`cluster "${clusterName}" has no S3 keys (${seaweedfsLayout(config).keysFile})`);
  const clients: S3Client[] = [];
  const client = (identity: S3IdentityName = "liftoff") => {
    const c = s3ClientFor(conn.endpoint, keys[identity], conn.region);
    clients.push(c);
    return c;
  };
  let admin: S3Client | undefined;
  const adminClient = () => {
    admin ??= client("admin");
    return admin;
  };
  return {
    ...conn,
    keys,
    client,
    createBucket: (name) => ensureBucket(adminClient(), name, 10_000),
    emptyBucket: (bucket, prefix) => emptyBucket(adminClient(), bucket, prefix),
    podStorage: () => ({
      endpoint: conn.podEndpoint,
      region: conn.region,
      credentials: { vaultKV: { path: conn.vaultKvPath } },
    }),
    close: () => {
      for (const c of clients.splice(0)) c.destroy();
      admin = undefined;
    },
  };
}
