// Bucket creation with the admin identity, retried while a freshly started weed's filer is still joining.
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { S3KeyPair } from "./server.js";

/** A client for a weed (or any S3-compatible) endpoint: path-style, short timeouts, bounded retries. */
export function s3ClientFor(endpoint: string, keys: S3KeyPair, region = "us-east-1"): S3Client {
  // As runtime/src/storage/s3-client.ts: the SDK's notice that its future releases need Node 22 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: keys,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
  });
}

const ALREADY = new Set(["BucketAlreadyOwnedByYou", "BucketAlreadyExists"]);

/** Creates `bucket` unless it exists; retries other failures until `timeoutMs` (the filer may not be up yet). */
export async function ensureBucket(client: S3Client, bucket: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
      return;
    } catch (err) {
      if (err instanceof S3ServiceException && ALREADY.has(err.name)) return;
      // Refused keys do not get better by waiting.
      if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 403) throw err;
      if (Date.now() >= deadline) throw new Error(`could not create bucket ${bucket}: ${(err as Error).message}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Deletes every object in `bucket` (under `prefix`), a page of up to 1000 keys at a time. */
export async function emptyBucket(client: S3Client, bucket: string, prefix = ""): Promise<number> {
  let deleted = 0;
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return deleted;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
    deleted += keys.length;
  }
}
