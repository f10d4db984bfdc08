// The standalone weed S3 server of test/support/s3-server.ts (hack/build-seaweedfs.sh builds the binary; `hack/setup.ts
// test` runs it before npm test): it answers with the three identities' rights, and stop() leaves nothing
// behind (process group, folder, weed's Unix sockets).
import { existsSync, readdirSync } from "node:fs";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emptyBucket, ensureBucket } from "../../devcluster/seaweedfs/bucket.js";
import { weedSocketFiles } from "../../devcluster/seaweedfs/server.js";
import { type StartedS3Server, startS3Server } from "../support/s3-server.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("startS3Server", () => {
  let s3: StartedS3Server;
  beforeAll(async () => {
    s3 = await startS3Server();
  }, 90_000);
  afterAll(() => s3?.stop());

  it("stores and lists objects for the liftoff identity, with their metadata", async () => {
    const lo = s3.client("liftoff");
    await lo.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: "a/b.txt", Body: "hello", Metadata: { sha256: "abc" } }),
    );
    const got = await lo.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "a/b.txt" }));
    expect(await got.Body?.transformToString()).toBe("hello");
    expect(got.Metadata).toEqual({ sha256: "abc" });
    const listed = await s3.client("readonly").send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "a/" }));
    expect(listed.Contents?.map((c) => c.Key)).toEqual(["a/b.txt"]);
  });

  it("denies the readonly identity a write, and the liftoff identity a new bucket", async () => {
    const put = s3.client("readonly").send(new PutObjectCommand({ Bucket: s3.bucket, Key: "x", Body: "x" }));
    await expect(put).rejects.toSatisfy((e) => e instanceof S3ServiceException && e.name === "AccessDenied");
    await expect(ensureBucket(s3.client("liftoff"), "not-allowed")).rejects.toSatisfy(
      (e) => e instanceof S3ServiceException && e.name === "AccessDenied",
    );
  });

  it("creates buckets idempotently for the admin and empties them", async () => {
    const admin = s3.client("admin");
    await ensureBucket(admin, "second");
    await ensureBucket(admin, "second");
    for (const k of ["p/1", "p/2", "q/3"])
      await admin.send(new PutObjectCommand({ Bucket: "second", Key: k, Body: k }));
    expect(await emptyBucket(admin, "second", "p/")).toBe(2);
    const left = await admin.send(new ListObjectsV2Command({ Bucket: "second" }));
    expect(left.Contents?.map((c) => c.Key)).toEqual(["q/3"]);
  });

  it("stops the whole process group and removes its folder", async () => {
    const { pid, dir } = s3;
    await s3.stop();
    expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(weedSocketFiles(s3.ports, readdirSync("/tmp"))).toEqual([]);
  });
});
