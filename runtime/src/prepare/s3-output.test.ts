// Retention on an object-store output shreds as on a claim: the dropped version's data key leaves the key store
// before its objects are deleted, and deleting the DataSet shreds every version (a local folder stands in for the
// bucket: the same ObjectStore interface the S3 client implements).
import { describe, expect, it } from "vitest";
import { fakeVault } from "../../../test/support/fake-vault.js";
import { prepareInline, tmp } from "../../../test/support/prepare.js";
import { retentionPolicy, type VersionRecord } from "../contract/retention.js";
import { versionKeyPath } from "../crypto/version-keys.js";
import { localObjectStore } from "../storage/local-store.js";
import { shredWith } from "./pipeline.js";
import { publishToS3, removeAllS3Versions } from "./s3-output.js";

const schema = {
  target: "y",
  columns: [
    { name: "x", type: "number" },
    { name: "y", type: "category" },
  ],
};
const rows = `x,y\n${Array.from({ length: 40 }, (_, i) => `${i + 0.5},${i % 2 ? "a" : "b"}`).join("\n")}\n`;
const PREFIX = "datasets/bucketed";

describe("s3:// output retention", () => {
  it("shreds the version past keepLast (key, then objects) and every version on delete", async () => {
    const vault = fakeVault();
    const keyStore = { vault, owner: { namespace: "team-a", dataset: "bucketed" } };
    const store = localObjectStore(tmp());
    const prune = {
      policy: retentionPolicy({ retainVersions: 3, retention: { keepLast: 1 } }),
      keep: [],
      shred: shredWith(keyStore),
    };
    let last: VersionRecord[] = [];
    for (const seed of [1, 2]) {
      const { result } = await prepareInline(
        rows,
        { schema, encryption: { transitKey: "ds" }, split: { train: 0.8, validation: 0.1, test: 0.1, seed } },
        { secrets: vault, keyStore },
      );
      last = (await publishToS3(store, PREFIX, result.dir, prune)).versions;
    }
    expect(last.map((v) => [v.state, v.reason])).toEqual([
      ["Retained", undefined],
      ["Shredded", "KeepLast"],
    ]);
    const [kept, shredded] = last as [VersionRecord, VersionRecord];
    expect(vault.kv.has(versionKeyPath(keyStore.owner, shredded.keyId as string))).toBe(false);
    expect(vault.kv.has(versionKeyPath(keyStore.owner, kept.keyId as string))).toBe(true);
    const keys = async () => {
      const out: string[] = [];
      for await (const o of store.list(`${PREFIX}/`)) out.push(o.key);
      return out;
    };
    const listed = await keys();
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((k) => k.startsWith(`${PREFIX}/${kept.digest.slice(7)}/`))).toBe(true);

    const removed = await removeAllS3Versions(store, PREFIX, shredWith(keyStore));
    expect(removed.map((v) => [v.digest, v.state, v.reason])).toEqual([[kept.digest, "Shredded", "Deleted"]]);
    expect(vault.kv.size).toBe(0);
    expect(await keys()).toEqual([]);
  });
});
