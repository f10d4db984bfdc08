// The pipeline's guarantees: determinism, stratified exact counts, atomic versions with retention, encryption
// without plaintext, and a clear PrepareError (reason + message) for each kind of bad input.
import { cpSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { fakeVault } from "../../../test/support/fake-vault.js";
import { part, prepareInline, readParquet, tmp } from "../../../test/support/prepare.js";
import { decryptFile } from "../crypto/segments.js";
import { openVersionKey, versionKeyPath } from "../crypto/version-keys.js";
import { PrepareError } from "./errors.js";

const schema = {
  target: "y",
  columns: [
    { name: "x", type: "number" },
    { name: "y", type: "category" },
  ],
};
const rows = (n: number, classes = ["a", "b"]) =>
  `x,y\n${Array.from({ length: n }, (_, i) => `${i},${classes[i % classes.length]}`).join("\n")}\n`;

async function failure(data: string, spec: object): Promise<{ reason: string; message: string }> {
  try {
    await prepareInline(data, { schema, ...spec });
  } catch (err) {
    if (err instanceof PrepareError) return { reason: err.reason, message: err.message };
    throw err;
  }
  throw new Error("expected a PrepareError");
}

describe("prepare pipeline", () => {
  it("is deterministic: same input and spec give the same digest and bytes; another seed another digest", async () => {
    const a = await prepareInline(rows(200), { schema });
    const b = await prepareInline(rows(200), { schema });
    expect(a.result.digest).toBe(b.result.digest);
    expect(readFileSync(path.join(a.result.dir, "train/part-00000.parquet"))).toEqual(
      readFileSync(path.join(b.result.dir, "train/part-00000.parquet")),
    );
    const c = await prepareInline(rows(200), { schema, split: { train: 0.8, validation: 0.1, test: 0.1, seed: 7 } });
    expect(c.result.digest).not.toBe(a.result.digest);
  });

  it("is byte-identical when the source spans several read batches (and so several row groups)", async () => {
    // 12 MB: DuckDB reads a CSV in 8 MB byte ranges, so the rows come in more than one batch (a padding column,
    // not in the schema, makes the file large with few rows).
    const pad = "p".repeat(40);
    const big = `x,y,pad\n${Array.from({ length: 250_000 }, (_, i) => `${(i * 7919) % 100_003},${"abc"[i % 3]},${pad}`).join("\n")}\n`;
    const a = await prepareInline(big, { schema });
    const b = await prepareInline(big, { schema });
    expect(b.result.digest).toBe(a.result.digest);
    const db = await (await DuckDBInstance.create(":memory:")).connect();
    const groups = await db.runAndReadAll(
      `SELECT count(DISTINCT row_group_id) FROM parquet_metadata('${path.join(a.result.dir, "train/part-00000.parquet")}')`,
    );
    expect(Number(groups.getRowsJS()[0]?.[0])).toBeGreaterThan(1);
    db.closeSync();
  }, 30_000);

  it("stratifies with exact counts per class, and says when a class is too small to stratify", async () => {
    const { result } = await prepareInline(rows(30, ["a", "a", "b"]), { schema }); // a 20, b 10
    expect(result.rows).toMatchObject({ train: 24, validation: 3, test: 3 }); // a 16/2/2 + b 8/1/1
    const test = await part(result, "test");
    expect(test.map((r) => r.y).sort()).toEqual([0, 0, 1]);
    expect(result.notes).toEqual([]);
    const skewed = await prepareInline(rows(23, [...Array(22).fill("a"), "b"]), { schema });
    expect(skewed.result.notes[0]).toMatch(/class "b" has 1 rows, too few to put one in validation/);
  });

  it("publishes atomically under the digest and keeps retainVersions versions", async () => {
    const out = tmp();
    const digests: string[] = [];
    for (const seed of [1, 2, 3]) {
      const { result } = await prepareInline(
        rows(40),
        { schema, retainVersions: 2, split: { ...split, seed } },
        { out },
      );
      digests.push(result.digest.slice(7));
    }
    expect(readdirSync(out).sort()).toEqual(digests.slice(1).sort());
    const files = readdirSync(path.join(out, digests[2] as string)).sort();
    expect(files).toEqual(["manifest.json", "preprocessing.json", "stats.json", "test", "train", "validation"]);
  });

  it("keeps a version something still uses beyond retainVersions (LIFTOFF_KEEP_VERSIONS)", async () => {
    const out = tmp();
    const digests: string[] = [];
    for (const seed of [1, 2, 3]) {
      const keepVersions = digests.slice(0, 1); // the first version: a TrainingJob trained on it
      const { result } = await prepareInline(
        rows(40),
        { schema, retainVersions: 1, split: { ...split, seed } },
        { out, keepVersions },
      );
      digests.push(result.digest.slice(7));
    }
    expect(readdirSync(out).sort()).toEqual([digests[0], digests[2]].sort());
  });

  it("encrypts every file but the manifest; the wrapped key goes to the key store, the manifest names its keyId", async () => {
    const vault = fakeVault();
    const owner = { namespace: "team-a", dataset: "secrets" };
    const data = `x,y\n${Array.from({ length: 50 }, (_, i) => `${i + 0.5},secret${i % 2}`).join("\n")}\n`;
    const { result } = await prepareInline(
      data,
      { schema, encryption: { transitKey: "ds" } },
      { secrets: vault, keyStore: { vault, owner } },
    );
    const manifest = JSON.parse(readFileSync(path.join(result.dir, "manifest.json"), "utf8"));
    expect(manifest.encryption).toEqual({
      transitKey: "ds",
      keyId: expect.stringMatching(/^[0-9a-f]{32}$/),
      algorithm: "AES-256-GCM",
      segmentSize: 1048576,
    });
    const stored = vault.kv.get(versionKeyPath(owner, manifest.encryption.keyId));
    expect(stored).toEqual({
      wrappedKey: expect.stringMatching(/^vault:v1:ds:/),
      transitKey: "ds",
      dataset: "team-a/secrets",
      createdAt: expect.any(String),
    });
    expect(readFileSync(path.join(result.dir, "manifest.json"), "utf8")).not.toContain(stored?.wrappedKey);
    const key = await openVersionKey(vault, manifest.encryption, owner);
    expect(manifest.files.map((f: { path: string }) => f.path)).toEqual([
      "preprocessing.json.enc",
      "stats.json.enc",
      "test/part-00000.parquet.enc",
      "train/part-00000.parquet.enc",
      "validation/part-00000.parquet.enc",
    ]);
    for (const f of manifest.files) {
      const bytes = readFileSync(path.join(result.dir, f.path));
      expect(bytes.includes("secret1")).toBe(false);
      expect(bytes.includes("PAR1")).toBe(false);
    }
    const plain = path.join(tmp(), "train.parquet");
    await decryptFile(
      path.join(result.dir, "train/part-00000.parquet.enc"),
      plain,
      key,
      "train/part-00000.parquet.enc",
    );
    expect((await readParquet(plain)).length).toBe(result.rows.train);
  });

  it("shreds versions past retention.keepLast: key from the store first, then the files; a copy no longer opens", async () => {
    const vault = fakeVault();
    const owner = { namespace: "team-a", dataset: "secrets" };
    const out = tmp();
    const run = (seed: number) =>
      prepareInline(
        rows(40),
        { schema, retention: { keepLast: 1 }, split: { ...split, seed }, encryption: { transitKey: "ds" } },
        { out, secrets: vault, keyStore: { vault, owner } },
      );
    const first = (await run(1)).result;
    const manifest = JSON.parse(readFileSync(path.join(first.dir, "manifest.json"), "utf8"));
    const copy = path.join(tmp(), "copy");
    cpSync(first.dir, copy, { recursive: true });
    const second = (await run(2)).result;
    expect(readdirSync(out)).toEqual([second.digest.slice(7)]);
    expect(vault.kv.has(versionKeyPath(owner, manifest.encryption.keyId))).toBe(false);
    expect(vault.kv.size).toBe(1);
    expect(second.versions).toEqual([
      expect.objectContaining({ digest: second.digest, state: "Retained", keyId: expect.any(String) }),
      expect.objectContaining({
        digest: first.digest,
        version: first.digest.slice(7, 19),
        state: "Shredded",
        reason: "KeepLast",
        keyId: manifest.encryption.keyId,
        shredded: expect.any(String),
      }),
    ]);
    const copied = JSON.parse(readFileSync(path.join(copy, "manifest.json"), "utf8"));
    await expect(openVersionKey(vault, copied.encryption, owner)).rejects.toMatchObject({ reason: "DataKeyShredded" });
  });

  it("fails with a reason and an actionable message for each kind of bad input", async () => {
    expect(await failure("", {})).toMatchObject({ reason: "TooFewRows", message: expect.stringMatching(/empty/) });
    expect(await failure("x,y\n", {})).toMatchObject({
      reason: "TooFewRows",
      message: expect.stringMatching(/no rows/),
    });
    expect(await failure("x,y\n1,a\n2,b,3\n", {})).toEqual({
      reason: "MalformedData",
      message: "the inline data: line 3 has 3 fields where the header has 2; fix the ragged row or its quoting",
    });
    expect(await failure("x,z\n1,a\n", {})).toMatchObject({
      reason: "SchemaMismatch",
      message: expect.stringMatching(/column "y" of schema.columns is not in the data \(found: x, z\)/),
    });
    const wrong = await failure("x,y\n1,a\nabc,b\n2,a\nd,b\n", {});
    expect(wrong).toEqual({
      reason: "SchemaMismatch",
      message:
        'column "x" should be number but 2 values do not cast to a finite number; first row 2 (line 3): "abc", row 4 (line 5): "d"; fix the data or the column\'s type',
    });
    const pii = await failure("x,z,y\nalice,1,a\n", {
      schema: {
        target: "y",
        columns: [{ name: "x", type: "number", pii: true }, { name: "z", type: "number" }, schema.columns[1]],
      },
      transforms: [{ type: "dropColumns", columns: ["x"] }],
    });
    expect(pii.message).toContain("<pii value withheld>");
    expect(pii.message).not.toContain("alice");
    expect(await failure(rows(10, ["a"]), {})).toMatchObject({ reason: "TargetHasOneClass" });
    expect(await failure(rows(4), {})).toMatchObject({
      reason: "TooFewRows",
      message: expect.stringMatching(/leave the validation split empty/),
    });
    expect(await failure("x,y\nNA,a\n", {})).toMatchObject({
      reason: "MissingValues",
      message: expect.stringMatching(/column "x" still has 1 missing value after cleaning; add a dropNA or fillNA/),
    });
    expect(await failure(rows(10), { encryption: { transitKey: "k" } })).toMatchObject({ reason: "VaultUnreachable" });
  });
});

const split = { train: 0.8, validation: 0.1, test: 0.1 };
