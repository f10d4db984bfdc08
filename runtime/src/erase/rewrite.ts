// The erasure of subjects from a DataSet's versions: each version's subject index (prepare/subjects.ts) is looked up
// with the subjects' HMACs; a version that matches is written again without those rows — same split membership, same
// fitted preprocessing.json (the encoded features were fitted with it and a served model expects it; the version
// holds no raw values to fit again from), stats.json's row counts lowered and the subjects' own entries taken out of
// the key column's histogram — through prepare's publish (a new digest, a new data key), then the old version is
// shredded. The new manifest names the request and the version it replaces, so a restarted pod finds its own rewrite
// and the record it reports is rebuilt from the manifests, whatever step a crash interrupted.
import { createHash } from "node:crypto";
import { copyFile, mkdir, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ManifestJson, StatsJson } from "../contract/artifacts.js";
import type { ErasureOutcome } from "../contract/erasure.js";
import { decryptFile, encryptBuffer, encryptFile } from "../crypto/segments.js";
import type { VersionKeyOwner, VersionKeyWriter } from "../crypto/version-keys.js";
import { lockDown, openDuckDB } from "../prepare/duckdb.js";
import { createStaging, type KnownHashes, publish, VERSION_NAME } from "../prepare/output.js";
import { lit, parquetWrite } from "../prepare/sql.js";
import { SUBJECT_INDEX } from "../prepare/subjects.js";
import { createVersionKey, openVersionKey, shredVersionKey } from "./version-key.js";

export interface EraseOptions {
  /** The DataSet's output folder (its versions are the <64 hex>/ folders in it). */
  out: string;
  scratch: string;
  /** The ErasureRequest's name, written into each rewrite's manifest. */
  request: string;
  /** HMAC-SHA-256 (hex) of each subject's key, with the index's salt. */
  hashes: readonly string[];
  /** The subjects' keys and their HMACs: entries of the key column's histogram that are taken out of stats.json. */
  histogramKeys: ReadonlySet<string>;
  subjectKey: string;
  secrets?: VersionKeyWriter | undefined;
  /** The DataSet whose key store holds the versions' keys (LIFTOFF_DATASET). */
  owner?: VersionKeyOwner | undefined;
  threads?: number;
  memoryLimit?: string;
  log?: (msg: string) => void;
}

interface Version {
  hex: string;
  dir: string;
  manifest: ManifestJson;
}

const PART_FILE = /^(train|validation|test)\/part-\d+\.parquet$/;
const HEX64 = /^[0-9a-f]{64}$/;

async function versionsIn(out: string): Promise<Version[]> {
  const out_: Version[] = [];
  for (const e of await readdir(out, { withFileTypes: true })) {
    if (!e.isDirectory() || !VERSION_NAME.test(e.name)) continue;
    const dir = path.join(out, e.name);
    const bytes = await readFile(path.join(dir, "manifest.json")).catch(() => undefined);
    if (!bytes) continue; // a folder being deleted
    // The folder's name is the digest of its manifest: a folder whose manifest says otherwise is not a version.
    if (createHash("sha256").update(bytes).digest("hex") !== e.name) continue;
    out_.push({ hex: e.name, dir, manifest: JSON.parse(bytes.toString("utf8")) as ManifestJson });
  }
  return out_;
}

const plainName = (p: string) => p.replace(/\.enc$/, "");

/** Erases the subjects from every version under `out`; the record of what was found, rewritten and shredded. */
export async function eraseSubjects(o: EraseOptions): Promise<ErasureOutcome> {
  const log = o.log ?? (() => undefined);
  for (const h of o.hashes) if (!HEX64.test(h)) throw new Error("subject hashes must be 64 hex digits");
  const work = path.join(o.scratch, "erase");
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const { instance, db } = await openDuckDB({
    threads: String(o.threads ?? 2),
    memory_limit: o.memoryLimit ?? "1GB",
    temp_directory: path.join(work, "spill"),
    preserve_insertion_order: "true",
  });
  const notIndexed: string[] = [];
  try {
    await lockDown(db, [o.scratch, o.out]);
    await db.run(
      `CREATE TEMP TABLE wanted AS SELECT unnest([${o.hashes.map((h) => lit(h)).join(", ")}]::VARCHAR[]) AS subject`,
    );
    const versions = await versionsIn(o.out);
    // This request's own rewrites, by the version each replaces (a restarted pod, or a version already done).
    const done = new Set(
      versions.filter((v) => v.manifest.erasure?.request === o.request).map((v) => v.manifest.erasure?.from),
    );
    for (const v of versions) {
      if (v.manifest.erasure?.request === o.request) continue;
      const index = v.manifest.files.find((f) => plainName(f.path) === SUBJECT_INDEX);
      if (!index) {
        notIndexed.push(`sha256:${v.hex}`);
        continue;
      }
      if (!done.has(`sha256:${v.hex}`)) {
        const vw = path.join(work, v.hex);
        await mkdir(vw, { recursive: true });
        try {
          await eraseFromVersion(db, v, vw, o, log);
        } finally {
          await rm(vw, { recursive: true, force: true });
        }
      }
    }
    // Shred every version this request replaced (a crash may have come between publishing and shredding).
    for (const v of await versionsIn(o.out)) {
      const from = v.manifest.erasure?.request === o.request ? v.manifest.erasure.from : undefined;
      const old = from && versions.find((x) => `sha256:${x.hex}` === from);
      if (old) await shred(old, o, log);
    }
    return record(await versionsIn(o.out), o.request, notIndexed);
  } finally {
    db.closeSync();
    instance.closeSync();
    await rm(work, { recursive: true, force: true });
  }
}

/** The report, from the rewrites' manifests (so a restarted pod reports what an earlier attempt did too). */
function record(versions: Version[], request: string, notIndexed: string[]): ErasureOutcome {
  const mine = versions.filter((v) => v.manifest.erasure?.request === request);
  const gone = (digest: string) => !versions.some((v) => `sha256:${v.hex}` === digest);
  return {
    found: mine.map((v) => ({ digest: v.manifest.erasure?.from ?? "", rows: v.manifest.erasure?.erased ?? 0 })),
    rewritten: mine.map((v) => ({
      from: v.manifest.erasure?.from ?? "",
      to: `sha256:${v.hex}`,
      rows: v.manifest.erasure?.kept ?? 0,
    })),
    shredded: mine
      .filter((v) => gone(v.manifest.erasure?.from ?? ""))
      .map((v) => ({
        digest: v.manifest.erasure?.from ?? "",
        ...(v.manifest.erasure?.keyId ? { keyId: v.manifest.erasure.keyId } : {}),
      })),
    notIndexed,
  };
}

async function shred(v: Version, o: EraseOptions, log: (msg: string) => void): Promise<void> {
  if (v.manifest.encryption && o.secrets) await shredVersionKey(o.secrets, o.owner, v.manifest.encryption);
  await rm(v.dir, { recursive: true, force: true });
  log(`shredded version ${v.hex.slice(0, 12)}`);
}

/** Looks the subjects up in the version's index; when any matches, publishes the version without their rows. */
async function eraseFromVersion(
  db: DuckDBConnection,
  v: Version,
  work: string,
  o: EraseOptions,
  log: (msg: string) => void,
): Promise<void> {
  const enc = v.manifest.encryption;
  if (enc && !o.secrets) throw new Error(`version ${v.hex.slice(0, 12)} is encrypted and the pod has no Vault client`);
  const key = enc && o.secrets ? await openVersionKey(o.secrets, o.owner, enc) : undefined;
  /** A file of the version as plaintext in `work` (decrypted there when the version is encrypted). */
  const plain = async (rel: string): Promise<string> => {
    if (!key) return path.join(v.dir, rel);
    const dst = path.join(work, "in", plainName(rel));
    await mkdir(path.dirname(dst), { recursive: true });
    await decryptFile(path.join(v.dir, rel), dst, key, rel);
    return dst;
  };
  const indexRel = v.manifest.files.find((f) => plainName(f.path) === SUBJECT_INDEX)?.path ?? SUBJECT_INDEX;
  const index = await plain(indexRel);
  await db.run("DROP TABLE IF EXISTS drops");
  await db.run(
    `CREATE TEMP TABLE drops AS SELECT DISTINCT part, "row" FROM read_parquet(${lit(index)}) WHERE subject IN (SELECT subject FROM wanted)`,
  );
  const dropped = new Map<string, number>(
    (await db.runAndReadAll(`SELECT part, count(*) FROM drops GROUP BY part`))
      .getRowsJS()
      .map((r) => [String(r[0]), Number(r[1])]),
  );
  const erased = [...dropped.values()].reduce((a, n) => a + n, 0);
  if (erased === 0) {
    key?.fill(0);
    return;
  }
  log(`version ${v.hex.slice(0, 12)}: ${erased} row(s) of the subjects; writing it again without them`);
  const fresh = enc && o.secrets ? await createVersionKey(o.secrets, o.owner, enc.transitKey) : undefined;
  const staging = await createStaging(o.out);
  try {
    const known: KnownHashes = new Map();
    let kept = 0;
    const outDir = path.join(work, "out");
    for (const f of v.manifest.files) {
      const name = plainName(f.path);
      const src = await plain(f.path);
      const dst = path.join(outDir, name);
      await mkdir(path.dirname(dst), { recursive: true });
      const part = PART_FILE.exec(name)?.[1];
      if (part) {
        await db.run(
          `COPY (SELECT * EXCLUDE (file_row_number) FROM read_parquet(${lit(src)}, file_row_number=true) ` +
            `WHERE file_row_number NOT IN (SELECT "row" FROM drops WHERE part = ${lit(part)})) ` +
            `TO ${lit(dst)} (${parquetWrite("snappy", o.threads ?? 2)})`,
        );
        const n = await db.runAndReadAll(`SELECT count(*) FROM read_parquet(${lit(dst)})`);
        kept += Number(n.getRowsJS()[0]?.[0] ?? 0);
      } else if (name === SUBJECT_INDEX) {
        // Row numbers after a removed row move up by the rows removed before them in the same part.
        await db.run(
          `COPY (SELECT i.subject, i.part, i."row" - (SELECT count(*) FROM drops d WHERE d.part = i.part AND d."row" < i."row") AS "row" ` +
            `FROM read_parquet(${lit(src)}) i WHERE i.subject NOT IN (SELECT subject FROM wanted) ORDER BY 1, 2, 3) ` +
            `TO ${lit(dst)} (${parquetWrite("zstd", o.threads ?? 2)})`,
        );
      } else if (name === "stats.json") {
        await writeFile(dst, statsWithout(JSON.parse(await readFile(src, "utf8")) as StatsJson, dropped, o));
      } else {
        await copyFile(src, dst);
      }
      if (fresh) {
        const rel = `${name}.enc`;
        if (name.endsWith(".json")) {
          const bytes = await encryptBuffer(await readFile(dst), fresh.dataKey, rel);
          await writeFile(path.join(staging, rel), bytes);
        } else {
          await mkdir(path.dirname(path.join(staging, rel)), { recursive: true });
          known.set(rel, await encryptFile(dst, path.join(staging, rel), fresh.dataKey, rel));
        }
      } else {
        await mkdir(path.dirname(path.join(staging, name)), { recursive: true });
        await copyFile(dst, path.join(staging, name));
      }
      await rm(dst, { force: true });
      if (key) await rm(src, { force: true });
    }
    fresh?.dataKey.fill(0);
    key?.fill(0);
    const { mtime } = await stat(v.dir);
    const published = await publish(
      o.out,
      staging,
      fresh?.encryption,
      { policy: { keepLast: Number.MAX_SAFE_INTEGER }, keep: [] },
      known,
      {
        request: o.request,
        from: `sha256:${v.hex}`,
        erased,
        kept,
        // The key store of issue #32 part 2 names each version's key by id in manifest.encryption.
        ...keyIdOf(enc),
      },
    );
    // The rewrite takes the old version's place in the retention order (prune keeps the newest by mtime).
    await utimes(published.dir, mtime, mtime);
    log(`version ${v.hex.slice(0, 12)} rewritten as ${published.digest.slice(7, 19)} (${kept} rows)`);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

function keyIdOf(enc: ManifestJson["encryption"]): { keyId?: string } {
  const id = (enc as { keyId?: unknown } | undefined)?.keyId;
  return typeof id === "string" ? { keyId: id } : {};
}

/** stats.json with the row counts lowered and the subjects' entries out of the key column's histogram. */
function statsWithout(stats: StatsJson, dropped: Map<string, number>, o: EraseOptions): string {
  const by = (p: string) => dropped.get(p) ?? 0;
  const erased = [...dropped.values()].reduce((a, n) => a + n, 0);
  stats.rows = {
    ...stats.rows,
    read: Math.max(0, stats.rows.read - erased),
    train: stats.rows.train - by("train"),
    validation: stats.rows.validation - by("validation"),
    test: stats.rows.test - by("test"),
  };
  for (const c of stats.columns) {
    if (c.name !== o.subjectKey || c.histogram.kind !== "categorical") continue;
    for (const k of Object.keys(c.histogram.counts)) {
      if (!o.histogramKeys.has(k)) continue;
      c.count -= c.histogram.counts[k] ?? 0;
      delete c.histogram.counts[k];
    }
  }
  return `${JSON.stringify(stats, null, 2)}\n`;
}
