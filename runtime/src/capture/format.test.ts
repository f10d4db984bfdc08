// The capture version format on a claim's folder and on a folder object store (the s3 variants' code path):
// round trip plain and encrypted, incomplete versions ignored, tampered files refused, pruning by age and size.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localObjectStore } from "../storage/local-store.js";
import {
  CaptureFormatError,
  listCaptureVersions,
  listCaptureVersionsS3,
  openCaptureVersion,
  openCaptureVersionS3,
  pruneCaptureVersions,
  pruneCaptureVersionsS3,
  versionName,
  versionTime,
  writeCaptureVersion,
  writeCaptureVersionS3,
} from "./format.js";

let work: string;
let parquet: string;
const BYTES = Buffer.from(`PAR1${"rows ".repeat(2000)}PAR1`);
// A fake transit: the "wrapped" key is the data key under a fixed prefix, unwrapped only for the right key name.
const dataKey = randomBytes(32);
const wrappedKey = `vault:v1:${dataKey.toString("base64")}`;
const unwrap = async (transitKey: string, wrapped: string) => {
  if (transitKey !== "captures" || !wrapped.startsWith("vault:v1:")) throw new Error("unwrap refused");
  return Buffer.from(wrapped.slice("vault:v1:".length), "base64");
};
const encryption = () => ({ transitKey: "captures", dataKey: Buffer.from(dataKey), wrappedKey });
const noUnwrap = async (): Promise<Buffer> => {
  throw new Error("a plaintext version must not ask for a key");
};

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "liftoff-capture-format-"));
  parquet = path.join(work, "in.parquet");
  await writeFile(parquet, BYTES);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const fresh = async (name: string) => {
  const d = path.join(work, name);
  await mkdir(d, { recursive: true });
  return d;
};

describe("version names", () => {
  it("sort by time and carry it", () => {
    const a = versionName(new Date("2026-12-06T20:19:36.123Z"), 7);
    expect(a).toBe("20261206T201936123Z-000007");
    expect(versionTime(a)?.toISOString()).toBe("2026-12-06T20:19:36.123Z");
    expect(versionName(new Date("2026-12-06T20:19:36.124Z"), 0) > a).toBe(true);
    expect(versionTime(".staging-abc")).toBeUndefined();
  });
});

describe("capture versions on a claim", () => {
  it("round trip in plaintext", async () => {
    const root = await fresh("plain");
    const v = await writeCaptureVersion(root, "pod-a", parquet, undefined, 1, new Date("2026-12-06T10:00:00Z"));
    expect(await readdir(v.dir)).toEqual(["manifest.json", "records.parquet"]);
    const manifest = JSON.parse(await readFile(path.join(v.dir, "manifest.json"), "utf8"));
    expect(manifest.kind).toBe("Capture");
    expect(manifest.encryption).toBeUndefined();
    const listed = await listCaptureVersions(root);
    expect(listed.map((x) => `${x.pod}/${x.name}`)).toEqual([`pod-a/${v.name}`]);
    const out = await openCaptureVersion(listed[0] as (typeof listed)[0], noUnwrap, await fresh("plain-scratch"));
    expect((await readFile(out)).equals(BYTES)).toBe(true);
  });

  it("round trip encrypted: no plaintext on the claim, the manifest carries only the wrapped key", async () => {
    const root = await fresh("enc");
    const v = await writeCaptureVersion(root, "pod-a", parquet, encryption(), 1);
    expect(await readdir(v.dir)).toEqual(["manifest.json", "records.parquet.enc"]);
    const sealed = await readFile(path.join(v.dir, "records.parquet.enc"));
    expect(sealed.includes(Buffer.from("rows rows"))).toBe(false);
    const manifest = await readFile(path.join(v.dir, "manifest.json"), "utf8");
    expect(JSON.parse(manifest).encryption).toMatchObject({
      transitKey: "captures",
      wrappedKey,
      algorithm: "AES-256-GCM",
    });
    expect(manifest.includes(dataKey.toString("hex"))).toBe(false);
    const out = await openCaptureVersion(v, unwrap, await fresh("enc-scratch"));
    expect((await readFile(out)).equals(BYTES)).toBe(true);
  });

  it("lists every pod's complete versions oldest first and ignores one without manifest.json", async () => {
    const root = await fresh("list");
    const t = (s: string) => new Date(`2026-12-06T10:00:${s}Z`);
    await writeCaptureVersion(root, "pod-b", parquet, undefined, 2, t("02"));
    await writeCaptureVersion(root, "pod-a", parquet, undefined, 1, t("01"));
    const half = await writeCaptureVersion(root, "pod-a", parquet, undefined, 3, t("03"));
    await rm(path.join(half.dir, "manifest.json"));
    await mkdir(path.join(root, "pod-a", ".staging-0123"), { recursive: true });
    const names = (await listCaptureVersions(root)).map((v) => `${v.pod}/${v.name}`);
    expect(names).toEqual(["pod-a/20261206T100001000Z-000001", "pod-b/20261206T100002000Z-000002"]);
    expect(await listCaptureVersions(path.join(work, "no-such-root"))).toEqual([]);
  });

  it("refuses a tampered file, a truncated one and a wrong key", async () => {
    const root = await fresh("tamper");
    const scratch = await fresh("tamper-scratch");
    const plain = await writeCaptureVersion(root, "pod-a", parquet, undefined, 1);
    const file = path.join(plain.dir, "records.parquet");
    const bytes = await readFile(file);
    bytes[10] = (bytes[10] as number) ^ 1;
    await writeFile(file, bytes);
    await expect(openCaptureVersion(plain, noUnwrap, scratch)).rejects.toThrow(/does not match the sha256/);

    const sealed = await writeCaptureVersion(root, "pod-a", parquet, encryption(), 2);
    const sfile = path.join(sealed.dir, "records.parquet.enc");
    const sb = await readFile(sfile);
    await writeFile(sfile, sb.subarray(0, sb.length - 5));
    await expect(openCaptureVersion(sealed, unwrap, scratch)).rejects.toBeInstanceOf(CaptureFormatError);

    const other = await writeCaptureVersion(root, "pod-a", parquet, encryption(), 3);
    const wrong = async () => randomBytes(32);
    await expect(openCaptureVersion(other, wrong, scratch)).rejects.toThrow(/fails authentication/);
    // Nothing half-written is left in scratch by the refusals.
    expect((await readdir(scratch)).filter((f) => f.includes(".part-"))).toEqual([]);
  });

  it("refuses a manifest of another kind or naming another file", async () => {
    const root = await fresh("kind");
    const v = await writeCaptureVersion(root, "pod-a", parquet, undefined, 1);
    const mf = path.join(v.dir, "manifest.json");
    const m = JSON.parse(await readFile(mf, "utf8"));
    await writeFile(mf, JSON.stringify({ ...m, kind: "DataSet" }));
    await expect(openCaptureVersion(v, noUnwrap, work)).rejects.toThrow(/not a capture manifest/);
    await writeFile(mf, JSON.stringify({ ...m, files: [{ ...m.files[0], path: "../../etc/passwd" }] }));
    await expect(openCaptureVersion(v, noUnwrap, work)).rejects.toThrow(/must list exactly records.parquet/);
  });

  it("refuses a pod name that is not a DNS name (no path tricks)", async () => {
    await expect(writeCaptureVersion(work, "../x", parquet, undefined, 1)).rejects.toThrow(/not a pod name/);
  });

  it("prunes every pod's versions past retention and this pod's oldest beyond maxBytes", async () => {
    const root = await fresh("prune");
    const now = new Date("2026-12-06T12:00:00Z");
    const h = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
    await writeCaptureVersion(root, "other", parquet, undefined, 1, h(30)); // too old: any pod deletes it
    await writeCaptureVersion(root, "other", parquet, undefined, 2, h(1)); // another pod's: its size is not ours
    await writeCaptureVersion(root, "me", parquet, undefined, 3, h(3));
    await writeCaptureVersion(root, "me", parquet, undefined, 4, h(2));
    const newest = await writeCaptureVersion(root, "me", parquet, undefined, 5, h(1));
    const one = BYTES.length + 400; // a version: the Parquet and a manifest of a few hundred bytes
    const r = await pruneCaptureVersions(root, "me", { maxBytes: 2 * one, retentionHours: 24 }, now);
    expect(r.deleted.map((v) => `${v.pod}/${v.name.slice(-6)}`).sort()).toEqual(["me/000003", "other/000001"]);
    const left = (await listCaptureVersions(root)).map((v) => `${v.pod}/${v.name.slice(-6)}`);
    expect(left).toEqual(["me/000004", "other/000002", "me/000005"]);
    // The newest version stays even when alone it is beyond maxBytes.
    await pruneCaptureVersions(root, "me", { maxBytes: 1024, retentionHours: 24 }, now);
    expect((await listCaptureVersions(root)).filter((v) => v.pod === "me").map((v) => v.name)).toEqual([newest.name]);
  });
});

describe("capture versions on an object store (the s3 variants, on a folder store)", () => {
  it("round trip encrypted, list, ignore incomplete, refuse tampered, prune", async () => {
    const bucket = await fresh("bucket");
    const store = localObjectStore(bucket);
    const scratch = await fresh("s3-scratch");
    const now = new Date("2026-12-06T12:00:00Z");
    const old = await writeCaptureVersionS3(
      store,
      "captures/penguins",
      "pod-a",
      parquet,
      encryption(),
      1,
      scratch,
      new Date(now.getTime() - 48 * 3_600_000),
    );
    const v = await writeCaptureVersionS3(store, "captures/penguins", "pod-a", parquet, encryption(), 2, scratch, now);
    const half = await writeCaptureVersionS3(store, "captures/penguins", "pod-b", parquet, undefined, 3, scratch, now);
    await rm(path.join(bucket, half.dir, "manifest.json"));
    const listed = await listCaptureVersionsS3(store, "captures/penguins");
    expect(listed.map((x) => x.name)).toEqual([old.name, v.name]);
    const out = await openCaptureVersionS3(store, v, unwrap, scratch);
    expect((await readFile(out)).equals(BYTES)).toBe(true);

    const file = path.join(bucket, v.dir, "records.parquet.enc");
    const b = await readFile(file);
    b[100] = (b[100] as number) ^ 1;
    await writeFile(file, b);
    await expect(openCaptureVersionS3(store, v, unwrap, scratch)).rejects.toThrow();

    const r = await pruneCaptureVersionsS3(
      store,
      "captures/penguins",
      "pod-a",
      { maxBytes: 1 << 30, retentionHours: 24 },
      now,
    );
    expect(r.deleted.map((x) => x.name)).toEqual([old.name]);
    expect((await listCaptureVersionsS3(store, "captures/penguins")).map((x) => x.name)).toEqual([v.name]);
  });
});
