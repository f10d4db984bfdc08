// The subject index prepare writes and the erasure that reads it, on penguins with an id column: the index points at
// each subject's very row; an erasure leaves every other row where the index says, drops the subjects', writes a new
// version (new key when encrypted), shreds the old one, and a second run of the same request changes nothing.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PENGUINS_WITH_IDS_CSV, PENGUINS_WITH_IDS_SCHEMA } from "../../../test/support/dataset.js";
import { fakeVault } from "../../../test/support/fake-vault.js";
import { prepareInline, readParquet, tmp } from "../../../test/support/prepare.js";
import type { ManifestJson, StatsJson } from "../contract/artifacts.js";
import { decryptFile, decryptToBuffer } from "../crypto/segments.js";
import { openVersionKey, versionKeyPath } from "../crypto/version-keys.js";
import { SUBJECT_INDEX, subjectHash } from "../prepare/subjects.js";
import { subjectKeys } from "./command.js";
import { eraseSubjects } from "./rewrite.js";

const SALT = "index-salt";
const spec = {
  schema: PENGUINS_WITH_IDS_SCHEMA,
  transforms: [
    { type: "dropNA" },
    { type: "dropColumns", columns: ["year", "penguin_id"] },
    { type: "standardize" },
    { type: "oneHot", columns: ["island", "sex"] },
  ],
  privacy: { subjectKey: "penguin_id", saltSecret: { path: "secret/data/ns/privacy", key: "salt" } },
};

/** The shared in-memory Vault with the index's salt in KV; encrypted versions' keys go to its key store. */
function vaultWithSalt() {
  const vault = fakeVault();
  vault.kv.set("secret/data/ns/privacy", { salt: SALT });
  return vault;
}
const owner = { namespace: "ns", dataset: "penguins" };

type Row = Record<string, unknown>;
const versionsOf = (out: string) => readdirSync(out).filter((d) => /^[0-9a-f]{64}$/.test(d));
const manifestOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as ManifestJson;

/** The version's index and parts as rows (decrypted with `key` when given). */
async function readVersion(dir: string, key?: Buffer) {
  const file = async (rel: string) => {
    if (!key) return path.join(dir, rel);
    const dst = path.join(tmp(), path.basename(rel));
    await decryptFile(path.join(dir, `${rel}.enc`), dst, key, `${rel}.enc`);
    return dst;
  };
  const index = await readParquet(await file(SUBJECT_INDEX));
  const parts: Record<string, Row[]> = {};
  for (const p of ["train", "validation", "test"]) parts[p] = await readParquet(await file(`${p}/part-00000.parquet`));
  const stats = key
    ? (JSON.parse(
        (await decryptToBuffer(path.join(dir, "stats.json.enc"), key, "stats.json.enc")).toString(),
      ) as StatsJson)
    : (JSON.parse(readFileSync(path.join(dir, "stats.json"), "utf8")) as StatsJson);
  return { index, parts, stats };
}

/** The row of each subject hash, as the index locates it. */
function rowsBySubject(v: Awaited<ReturnType<typeof readVersion>>): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const e of v.index) out.set(String(e.subject), v.parts[String(e.part)]?.[Number(e.row)] as Row);
  return out;
}

describe("subject index and erasure", () => {
  it("indexes every stored row under its subject's HMAC, sorted", async () => {
    const { result } = await prepareInline(PENGUINS_WITH_IDS_CSV, spec, { secrets: vaultWithSalt() });
    const v = await readVersion(result.dir);
    expect(v.index.length).toBe(result.rows.total);
    const subjects = v.index.map((e) => String(e.subject));
    expect([...subjects].sort()).toEqual(subjects);
    expect(new Set(subjects).size).toBe(subjects.length);
    // Row 4 of penguins (P4) has missing measurements and is dropped by dropNA; P1 is kept.
    expect(subjects).toContain(subjectHash("P1", Buffer.from(SALT)));
    expect(subjects).not.toContain(subjectHash("P4", Buffer.from(SALT)));
    const bytes = readFileSync(path.join(result.dir, SUBJECT_INDEX));
    expect(bytes.includes("P1")).toBe(false);
    // P1 is the first penguin: bill length 39.1, standardized with the fitted mean and std.
    const pre = JSON.parse(readFileSync(path.join(result.dir, "preprocessing.json"), "utf8"));
    const bill = pre.features.find((f: { column: string }) => f.column === "bill_length_mm");
    const p1 = rowsBySubject(v).get(subjectHash("P1", Buffer.from(SALT)));
    expect(Number(p1?.bill_length_mm)).toBeCloseTo((39.1 - bill.mean) / bill.std, 5);
  });

  it.each([
    ["plain", false],
    ["encrypted", true],
  ])(
    "rewrites a %s version without the subjects' rows, shreds the old one, and is idempotent",
    async (_, encrypted) => {
      const vault = vaultWithSalt();
      const { result, out } = await prepareInline(
        PENGUINS_WITH_IDS_CSV,
        { ...spec, ...(encrypted ? { encryption: { transitKey: "ds" } } : {}) },
        { secrets: vault, keyStore: { vault, owner } },
      );
      const oldManifest = manifestOf(result.dir);
      const oldEnc = oldManifest.encryption;
      const oldKey = oldEnc ? await openVersionKey(vault, oldEnc, owner) : undefined;
      const before = await readVersion(result.dir, oldKey);
      const salt = Buffer.from(SALT);
      const keys = subjectKeys("P1\n P20 \n\nP4\nP200\nP1\n"); // P4 was dropped by dropNA: nothing to erase for it
      expect(keys).toEqual(["P1", "P20", "P4", "P200"]);
      const hashes = keys.map((k) => subjectHash(k, salt));
      const run = () =>
        eraseSubjects({
          out,
          scratch: tmp(),
          request: "forget-p1",
          hashes,
          histogramKeys: new Set([...hashes, ...keys]),
          subjectKey: "penguin_id",
          secrets: vault,
          owner,
          threads: 2,
          memoryLimit: "256MB",
        });
      const outcome = await run();
      const [newHex, ...others] = versionsOf(out);
      expect(others).toEqual([]);
      expect(`sha256:${newHex}`).not.toBe(result.digest);
      expect(outcome).toEqual({
        found: [{ digest: result.digest, rows: 3 }],
        rewritten: [{ from: result.digest, to: `sha256:${newHex}`, rows: result.rows.total - 3 }],
        shredded: [{ digest: result.digest, ...(oldEnc?.keyId ? { keyId: oldEnc.keyId } : {}) }],
        notIndexed: [],
      });
      const dir = path.join(out, newHex as string);
      const manifest = manifestOf(dir);
      expect(manifest.erasure).toEqual({
        request: "forget-p1",
        from: result.digest,
        erased: 3,
        kept: result.rows.total - 3,
        ...(oldEnc?.keyId ? { keyId: oldEnc.keyId } : {}),
      });
      const newEnc = manifest.encryption;
      if (encrypted) {
        // A new key in the store; the old one destroyed, so the old version's files no longer open anywhere.
        expect(oldEnc?.keyId).toMatch(/^[0-9a-f]{32}$/);
        expect(newEnc?.keyId).toMatch(/^[0-9a-f]{32}$/);
        expect(newEnc?.keyId).not.toBe(oldEnc?.keyId);
        expect(newEnc?.wrappedKey).toBeUndefined();
        expect(manifest.files.every((f) => f.path.endsWith(".enc"))).toBe(true);
        expect(vault.kv.has(versionKeyPath(owner, oldEnc?.keyId as string))).toBe(false);
        await expect(openVersionKey(vault, oldEnc as NonNullable<typeof oldEnc>, owner)).rejects.toThrow(
          /DataKeyShredded/,
        );
      }
      const after = await readVersion(dir, newEnc ? await openVersionKey(vault, newEnc, owner) : undefined);
      const was = rowsBySubject(before);
      const now = rowsBySubject(after);
      for (const h of hashes) expect(now.has(h)).toBe(false);
      expect(now.size).toBe(was.size - 3);
      // Every other subject's row is the very row it was, where the new index says.
      for (const [h, row] of now) expect(row).toEqual(was.get(h));
      const count = (v: typeof before) =>
        (v.parts.train?.length ?? 0) + (v.parts.validation?.length ?? 0) + (v.parts.test?.length ?? 0);
      expect(count(after)).toBe(count(before) - 3);
      expect(after.stats.rows.read).toBe(before.stats.rows.read - 3);
      expect(after.stats.rows.train + after.stats.rows.validation + after.stats.rows.test).toBe(count(after));
      expect(after.stats.columns).toEqual(before.stats.columns);
      // The same request again: nothing new is written, the record is the same.
      expect(await run()).toEqual(outcome);
      expect(versionsOf(out)).toEqual([newHex]);
    },
  );

  it("with the key column hashed by hashPII, the index holds the stored HMACs and the erasure takes the subjects out of its histogram", async () => {
    const data = `email,plan,churned\n${Array.from({ length: 60 }, (_, i) => `user${i}@example.org,${i % 3 ? "basic" : "gold"},${i % 2 === 0}`).join("\n")}\n`;
    const hashed = {
      schema: {
        target: "churned",
        columns: [
          { name: "email", type: "string", pii: true },
          { name: "plan", type: "category" },
          { name: "churned", type: "boolean" },
        ],
      },
      transforms: [
        { type: "hashPII", columns: ["email"], saltSecret: { path: "secret/data/ns/privacy", key: "salt" } },
        { type: "oneHot", columns: ["plan"] },
      ],
      privacy: { subjectKey: "email" },
    };
    const { result, out } = await prepareInline(data, hashed, { secrets: vaultWithSalt() });
    const salt = Buffer.from(SALT);
    const h = (k: string) => subjectHash(k, salt);
    const before = await readVersion(result.dir);
    const emails = before.stats.columns.find((c) => c.name === "email");
    const counts = emails?.histogram.kind === "categorical" ? emails.histogram.counts : {};
    // The column stores the HMAC with the hashPII salt: the index's values are the very keys of its histogram.
    const stored = new Set(Object.keys(counts));
    const indexed = new Set(before.index.map((e) => String(e.subject)));
    expect([...stored].filter((k) => k !== "__other__").every((k) => indexed.has(k))).toBe(true);
    const inTrain = before.index.find((e) => e.part === "train" && stored.has(String(e.subject)));
    const victim = Array.from({ length: 60 }, (_, i) => `user${i}@example.org`).find((k) => h(k) === inTrain?.subject);
    expect(victim).toBeDefined();
    const outcome = await eraseSubjects({
      out,
      scratch: tmp(),
      request: "r",
      hashes: [h(victim as string)],
      histogramKeys: new Set([h(victim as string), victim as string]),
      subjectKey: "email",
      threads: 2,
    });
    expect(outcome.found).toEqual([{ digest: result.digest, rows: 1 }]);
    const after = await readVersion(path.join(out, outcome.rewritten[0]?.to.slice(7) as string));
    const left = after.stats.columns.find((c) => c.name === "email");
    expect(left?.histogram.kind === "categorical" && h(victim as string) in left.histogram.counts).toBe(false);
    expect(left?.count).toBe((emails?.count ?? 0) - 1);
    expect(after.stats.rows.train).toBe(before.stats.rows.train - 1);
  });

  it("says which versions have no index (prepared before spec.privacy) and leaves them", async () => {
    const { privacy: _, ...withoutPrivacy } = spec;
    const { result, out } = await prepareInline(PENGUINS_WITH_IDS_CSV, withoutPrivacy);
    const outcome = await eraseSubjects({
      out,
      scratch: tmp(),
      request: "r",
      hashes: [subjectHash("P1", Buffer.from(SALT))],
      histogramKeys: new Set(),
      subjectKey: "penguin_id",
    });
    expect(outcome).toEqual({ found: [], rewritten: [], shredded: [], notIndexed: [result.digest] });
    expect(versionsOf(out)).toEqual([result.digest.slice(7)]);
  });
});
