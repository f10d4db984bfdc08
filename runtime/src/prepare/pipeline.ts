// The prepare pipeline on DuckDB: read → schema check → clean (dropNA, fillNA, hashPII, dropColumns) → split →
// fit on train (statistics, standardize/minMax parameters, one-hot vocabularies) → encode → Parquet per part →
// stats.json, preprocessing.json, manifest.json → atomic publish under the manifest's digest. DuckDB works in a
// database file in the scratch folder with memory_limit set, so what does not fit in memory spills to disk.
import { mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import {
  ARTIFACT_FORMAT_VERSION,
  type ColumnStats,
  type ManifestJson,
  type PreprocessingJson,
  type StatsJson,
} from "../contract/artifacts.js";
import { retentionPolicy, type VersionRecord } from "../contract/retention.js";
import { DEFAULT_SEGMENT_SIZE, encryptBuffer, encryptFile } from "../crypto/segments.js";
import {
  createVersionKey,
  shredVersionKey,
  type VersionKeyOwner,
  type VersionKeyWriter,
} from "../crypto/version-keys.js";
import { capturedSql, type LoadedCaptured, mergedRelation } from "./captured-source.js";
import { checkSchema } from "./check.js";
import { cleanSql, maybeMissing } from "./clean.js";
import { lockConfiguration, openDuckDB, restrictFiles } from "./duckdb.js";
import { PrepareError, PrepareReason } from "./errors.js";
import { featureNames, featureSql, fitFeatures, targetSql } from "./features.js";
import { createStaging, type KnownHashes, publish, type Shred, sha256File } from "./output.js";
import { type Plan, planOf } from "./plan.js";
import { type RawRelation, rawRelation, schemaColumnsOf } from "./read.js";
import type { LoadedSource } from "./source.js";
import { ONE_SOURCE, type PrepareSpec } from "./spec.js";
import {
  MAX_SPLIT_ROWS,
  orderKeySql,
  PARTS,
  partCounts,
  partSql,
  sampleHashSql,
  sampleSql,
  stratification,
} from "./split.js";
import { ident, lit, megabytes, parquetWrite } from "./sql.js";
import { columnStats, isNumeric, partIs, QUANTILE_SAMPLE, vocabulary } from "./stats.js";
import { SUBJECT_INDEX, SubjectIndexWriter, subjectSalt } from "./subjects.js";
import { scanSplit } from "./thresholds.js";

/** What prepare needs from Vault (runtime/src/vault's VaultClient satisfies it). */
export interface PrepareSecrets {
  readKv(path: string, key: string): Promise<string>;
  generateWrappedDataKey(transitKey: string): Promise<{ wrappedKey: string }>;
  unwrapDataKey(transitKey: string, wrappedKey: string): Promise<Buffer>;
}

export interface PrepareOptions {
  spec: PrepareSpec;
  /** The output folder (output.path on the claim); versions go below it. */
  out: string;
  /** Private working space (DuckDB's database and spill files, plaintext before encryption). */
  scratch: string;
  /** Opens the source as a relation DuckDB can read (not called when the spec has only source.captured). */
  source: (db: DuckDBConnection, scratch: string) => Promise<LoadedSource>;
  /** Reads source.captured's versions into scratch (captured-source.ts); required when the spec has it. */
  captured?: (scratch: string) => Promise<LoadedCaptured>;
  secrets?: PrepareSecrets;
  /** The DataSet's data-key store in Vault: required to encrypt (each version's key goes there) and to shred. */
  keyStore?: KeyStore | undefined;
  threads?: number;
  /** DuckDB memory_limit, e.g. "768MB". */
  memoryLimit?: string;
  /** Versions (hex digests) that pruning keeps beyond spec.retainVersions: something still uses them. */
  keepVersions?: readonly string[];
  progress?: (stage: string) => void;
}

/** Where a DataSet's version keys live: the pod's Vault session and the DataSet it writes for. */
export interface KeyStore {
  vault: VersionKeyWriter;
  owner: VersionKeyOwner;
}

/** Destroys a dropped version's key in the store (prune and delete). */
export const shredWith =
  (store: KeyStore): Shred =>
  async (enc) =>
    shredVersionKey(store.vault, { ...store.owner, keyId: enc.keyId });

export interface PrepareResult {
  digest: string;
  dir: string;
  rows: StatsJson["rows"] & { total: number };
  stats: StatsJson;
  preprocessing: PreprocessingJson;
  notes: string[];
  encrypted: boolean;
  /** Every version in the output after publishing, newest first: Retained, or Shredded by this run's prune. */
  versions: VersionRecord[];
  /** source.captured: the rows it added (after its labelled filter) and the versions read. */
  captured?: { rows: number; versions: number };
}

function needSecrets(o: PrepareOptions, what: string): PrepareSecrets {
  if (!o.secrets) {
    throw new PrepareError(PrepareReason.VaultUnreachable, `${what} needs Vault; set LIFTOFF_VAULT_ADDR (and role)`);
  }
  return o.secrets;
}

async function salts(plan: Plan, o: PrepareOptions): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const step of plan.rowSteps) {
    if (step.kind !== "hashPII") continue;
    const id = `${step.salt.path}#${step.salt.key}`;
    if (!out.has(id)) {
      const salt = await needSecrets(o, "hashPII").readKv(step.salt.path, step.salt.key);
      out.set(id, Buffer.from(salt, "utf8"));
    }
  }
  return out;
}

/** The subject index's writer (spec.privacy): its HMAC key is a hashPII salt already read, or privacy.saltSecret. */
async function subjectIndex(
  db: DuckDBConnection,
  plan: Plan,
  o: PrepareOptions,
  saltValues: Map<string, Buffer>,
  typedFile: string,
  captured: boolean,
): Promise<SubjectIndexWriter> {
  const { ref, hashed } = subjectSalt(plan, o.spec);
  const salt =
    saltValues.get(`${ref.path}#${ref.key}`) ??
    Buffer.from(await needSecrets(o, "privacy.saltSecret").readKv(ref.path, ref.key), "utf8");
  const column = plan.columns.findIndex((c) => c.name === o.spec.privacy?.subjectKey);
  return new SubjectIndexWriter(db, { typedFile, column, salt, capturedHashed: hashed && captured });
}

/** Whether the spec names a source besides source.captured. */
const hasPrimarySource = (spec: PrepareSpec) =>
  (["http", "pvc", "inline", "postgres", "s3"] as const).some((k) => spec.source[k] !== undefined);

async function loadCaptured(o: PrepareOptions): Promise<LoadedCaptured> {
  if (!o.captured) {
    throw new PrepareError(
      PrepareReason.InvalidSpec,
      "source.captured needs the capture's location (LIFTOFF_CAPTURED_SOURCE, set by the operator)",
    );
  }
  return o.captured(o.scratch);
}

/**
 * The raw relation with the captured rows after the primary source's (or alone), their count, and the label that
 * names both. No captured row: a note when there is another source, TooFewRows when there is not.
 */
async function mergeCaptured(
  db: DuckDBConnection,
  primary: RawRelation | undefined,
  primaryLabel: string | undefined,
  files: LoadedCaptured,
  spec: PrepareSpec,
  notes: string[],
): Promise<{ raw: RawRelation; captured: NonNullable<PrepareResult["captured"]>; label: string }> {
  const sql = files.files.length > 0 ? await capturedSql(db, files, spec) : undefined;
  const rows = sql ? Number((await db.runAndReadAll(`SELECT count(*) FROM (${sql})`)).getRowsJS()[0]?.[0] ?? 0) : 0;
  const captured = { rows, versions: files.files.length };
  const maxAge = spec.source.captured?.maxAgeHours;
  const none =
    files.files.length === 0
      ? `${files.label} has no version younger than ${maxAge} hours`
      : rows === 0
        ? `${files.label} has no ${spec.source.captured?.labelled === false ? "" : "labelled "}rows in its ${files.files.length} version${files.files.length > 1 ? "s" : ""} younger than ${maxAge} hours`
        : undefined;
  if (none && !primary) {
    throw new PrepareError(
      PrepareReason.TooFewRows,
      `${none}; wait for traffic (and its feedback labels), or raise source.captured.maxAgeHours`,
    );
  }
  if (none) notes.push(`${none}: the data holds ${primaryLabel} only`);
  if (files.pruned > 0) {
    notes.push(
      `${files.pruned} capture version${files.pruned > 1 ? "s were" : " was"} pruned by the serving pods while being read, and skipped`,
    );
  }
  const label = primaryLabel ? `${primaryLabel} + ${files.label}` : files.label;
  return { raw: mergedRelation(primary, rows > 0 ? sql : undefined, spec), captured, label };
}

export async function runPrepare(o: PrepareOptions): Promise<PrepareResult> {
  const spec: PrepareSpec = o.spec;
  const progress = o.progress ?? (() => undefined);
  const plan = planOf(spec); // refusals (pii in clear, unknown columns) before anything is read or written
  const encrypted = spec.encryption !== undefined;
  const work = path.join(o.scratch, "duckdb");
  const threads = o.threads ?? 2;
  const memoryLimit = o.memoryLimit ?? "1GB";
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  // In memory, spilling to temp_directory past memory_limit: a database file would add WAL and checkpoint writes.
  // No extension autoload/autoinstall (duckdb.ts); file access is restricted once the source is in place.
  const { instance, db } = await openDuckDB({
    threads: String(threads),
    memory_limit: memoryLimit,
    temp_directory: path.join(work, "spill"),
    preserve_insertion_order: "true",
  });
  try {
    progress("reading source");
    const loaded = hasPrimarySource(spec) ? await o.source(db, o.scratch) : undefined;
    const capturedFiles = spec.source.captured ? await loadCaptured(o) : undefined;
    // Only the source's folder, scratch and the output folder are readable or writable from SQL from here on.
    await restrictFiles(db, [o.scratch, o.out, ...(loaded?.file ? [path.dirname(loaded.file)] : [])]);
    let raw: RawRelation | undefined = !loaded
      ? undefined
      : loaded.table
        ? { from: loaded.table, names: loaded.names ?? [], headerLines: 0 }
        : await rawRelation(db, loaded.file as string, spec);
    if (raw) schemaColumnsOf(raw, spec);
    const notes: string[] = [];
    let label = loaded?.label ?? "";
    let captured: PrepareResult["captured"];
    if (capturedFiles) {
      const merged = await mergeCaptured(db, raw, loaded?.label, capturedFiles, spec, notes);
      raw = merged.raw;
      captured = merged.captured;
      label = merged.label;
    }
    if (!raw) throw new PrepareError(PrepareReason.InvalidSpec, ONE_SOURCE);
    progress("checking schema");
    const typedFile = path.join(work, "typed.parquet");
    // The parse streams; more memory would only let finished batches queue for the ordered Parquet writer, so peak
    // RSS would grow with the source (up to memory_limit). A quarter of the limit (at least 128 MB, at most the limit)
    // bounds that. The rest of the run gets the whole limit: capping it too took 40–80 MiB off the peak at 10 M rows
    // but cost 12 % of the time (docs/performance.md, "Data preparation").
    const cap = Math.min(megabytes(memoryLimit), Math.max(128, Math.floor(megabytes(memoryLimit) / 4)));
    await db.run(`SET memory_limit = '${Math.floor(cap)}MB'`);
    const check = await checkSchema(db, raw, plan.columns, label, typedFile, threads).finally(() =>
      db.run(`SET memory_limit = ${lit(memoryLimit)}`),
    );
    await lockConfiguration(db); // the last setting changed: from here on no statement can change one
    if (check.rows > MAX_SPLIT_ROWS) {
      throw new PrepareError(
        PrepareReason.SourceTooLarge,
        `${label} has ${check.rows} rows; prepare splits at most ${MAX_SPLIT_ROWS}: split the source into several DataSets`,
      );
    }
    const saltValues = await salts(plan, o);
    const subjects = spec.privacy
      ? await subjectIndex(db, plan, o, saltValues, typedFile, raw.carry !== undefined)
      : undefined;

    progress("cleaning");
    await db.run(`CREATE VIEW clean AS ${cleanSql(typedFile, plan, saltValues, raw.carry !== undefined)}`);
    await db.run(
      `CREATE VIEW keyed AS SELECT *, ${orderKeySql("__row", spec.split.seed)} AS __key, ${sampleHashSql("__row")} AS __sample FROM clean`,
    );
    const target = ident(plan.target.column);
    const classification = plan.target.task === "classification";
    // One pass: the class sizes, the missing values left in the inputs that may have some, what locates the split.
    const maybe = maybeMissing(plan, check.nulls);
    const inputs = [...plan.features.map((f) => f.column), plan.target.column].filter((c) => maybe.has(c));
    const scan = await scanSplit(
      db,
      "keyed",
      classification ? `CAST(${target} AS VARCHAR)` : "''",
      inputs,
      spec.split,
      check.rows,
    );
    for (const [i, c] of inputs.entries()) {
      const n = scan.missing[i] as number;
      if (n > 0) {
        throw new PrepareError(
          PrepareReason.MissingValues,
          `column "${c}" still has ${n} missing value${n > 1 ? "s" : ""} after cleaning; add a dropNA or fillNA step for it`,
        );
      }
    }
    const total = [...scan.sizes.values()].reduce((a, n) => a + n, 0);
    if (total === 0) {
      throw new PrepareError(
        PrepareReason.TooFewRows,
        `no rows left after cleaning (${check.rows} read); relax dropNA`,
      );
    }

    progress("splitting");
    let stratified = false;
    let classes: string[] | undefined;
    if (classification) {
      classes = [...scan.sizes.keys()].sort();
      if (classes.length < 2) {
        throw new PrepareError(
          PrepareReason.TargetHasOneClass,
          `target "${plan.target.column}" has only the class "${classes[0]}" after cleaning; a classifier needs at least two`,
        );
      }
      const s = stratification(scan.sizes, spec.split);
      stratified = s.stratified;
      if (s.note) notes.push(s.note);
    }
    const counts = { train: 0, validation: 0, test: 0 };
    for (const n of stratified ? scan.sizes.values() : [total]) {
      const c = partCounts(n, spec.split);
      for (const p of PARTS) counts[p] += c[p];
    }
    for (const p of PARTS) {
      if (spec.split[p] > 0 && counts[p] === 0) {
        throw new PrepareError(
          PrepareReason.TooFewRows,
          `${total} rows after cleaning leave the ${p} split empty (split.${p} is ${spec.split[p]}); add rows or set split.${p} to 0`,
        );
      }
    }
    const thresholds = await scan.thresholds(stratified);
    await db.run(
      `CREATE VIEW parts AS SELECT *, ${partSql(stratified ? `CAST(${target} AS VARCHAR)` : "''", "__key", thresholds)} AS __part FROM keyed`,
    );

    progress("fitting on the training split");
    const sample = (n: number) => (n > QUANTILE_SAMPLE ? sampleSql("__sample", QUANTILE_SAMPLE / n) : undefined);
    const [stats, [targetStats]] = (await columnStats(
      db,
      "parts",
      [
        { part: "train", columns: plan.kept, sample: sample(counts.train) },
        { part: "test", columns: [{ name: plan.target.column, type: plan.target.type }], sample: sample(counts.test) },
      ],
      check.nulls,
    )) as [ColumnStats[], [ColumnStats]];
    const statsByName = new Map(stats.map((s) => [s.name, s]));
    const vocabularies = new Map<string, string[]>();
    for (const f of plan.features.filter((f) => f.kind === "oneHot")) {
      vocabularies.set(f.column, await vocabulary(db, "parts", partIs("train"), f.column, statsByName.get(f.column)));
    }
    const features = fitFeatures(plan.features, statsByName, vocabularies);
    const names = featureNames(features);

    const preprocessing: PreprocessingJson = {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      inputColumns: plan.kept.filter((c) => c.name !== plan.target.column),
      fill: Object.fromEntries(
        plan.rowSteps.flatMap((s) =>
          s.kind === "fillNA" ? [[s.column, isNumeric(s.type) ? Number(s.value) : s.value] as const] : [],
        ),
      ),
      features,
      featureNames: names,
      target: {
        column: plan.target.column,
        task: classes ? (classes.length === 2 ? "binary" : "multiclass") : "regression",
        ...(classes ? { classes } : {}),
      },
      hashedColumns: plan.hashed,
    };
    const statsJson: StatsJson = {
      formatVersion: ARTIFACT_FORMAT_VERSION,
      rows: { read: check.rows, dropped: check.rows - total, ...counts },
      columns: stats,
      target: targetStats,
    };

    progress("writing");
    const staging = await createStaging(o.out);
    try {
      let encryption: ManifestJson["encryption"];
      let dataKey: Buffer | undefined;
      if (spec.encryption) {
        needSecrets(o, "encryption");
        if (!o.keyStore) {
          throw new PrepareError(
            PrepareReason.InvalidSpec,
            "encryption keeps each version's data key in the DataSet's key store in Vault, and this run was not told which DataSet it writes: set LIFTOFF_DATASET=<namespace>/<name> (the operator does)",
          );
        }
        // The key goes to the store under a fresh keyId before anything is encrypted with it; the manifest names
        // only the keyId, so shredding the store's entry makes every copy of the files undecryptable.
        const created = await createVersionKey(o.keyStore.vault, {
          ...o.keyStore.owner,
          transitKey: spec.encryption.transitKey,
        });
        dataKey = created.dataKey;
        encryption = {
          transitKey: spec.encryption.transitKey,
          keyId: created.keyId,
          algorithm: "AES-256-GCM",
          segmentSize: DEFAULT_SEGMENT_SIZE,
        };
      }
      const select = [...featureSql(features), targetSql(plan.target.column, classes)].join(", ");
      // Each part's file is encrypted (or hashed) by Node while DuckDB writes the next part: the two overlap, and
      // the hash taken on the way spares publish() a second read of the file.
      const known: KnownHashes = new Map();
      // Each resolves to its error (or undefined): one failing while DuckDB still writes is not an unhandled rejection.
      const finishing: Promise<unknown>[] = [];
      let writeError: unknown;
      try {
        for (const part of PARTS) {
          const rel = `${part}/part-00000.parquet`;
          // Plaintext never reaches the output folder when encrypting: it is written to scratch first.
          const plainDir = dataKey ? path.join(o.scratch, "plain") : staging;
          await mkdir(path.join(plainDir, part), { recursive: true });
          await mkdir(path.join(staging, part), { recursive: true });
          const plain = path.join(plainDir, rel);
          if (subjects) {
            await subjects.copyPart(select, "parts", partIs(part), part, plain, parquetWrite("snappy", threads));
          } else {
            await db.run(
              // No ORDER BY: with preserve_insertion_order the rows leave in source order, without a sort. Snappy: a
              // third less CPU than zstd for files a tenth larger (and pandas' default).
              `COPY (SELECT ${select} FROM parts WHERE ${partIs(part)}) TO ${lit(plain)} (${parquetWrite("snappy", threads)})`,
            );
          }
          const done = dataKey
            ? encryptFile(plain, path.join(staging, `${rel}.enc`), dataKey, `${rel}.enc`).then(async (h) => {
                known.set(`${rel}.enc`, h);
                await rm(plain, { force: true });
              })
            : Promise.all([sha256File(plain), stat(plain)]).then(([sha256, st]) => {
                known.set(rel, { sha256, size: st.size });
              });
          finishing.push(
            done.then(
              () => undefined,
              (err: unknown) => err ?? new Error("encryption failed"),
            ),
          );
        }
      } catch (err) {
        writeError = err;
      }
      // Settled before anything is removed or published, whether a write failed or not.
      const failed = (await Promise.all(finishing)).find((e) => e !== undefined);
      if (writeError !== undefined || failed !== undefined) throw writeError ?? failed;
      const json = async (name: string, value: unknown) => {
        const text = Buffer.from(`${JSON.stringify(value, null, 2)}\n`);
        if (dataKey)
          await writeFile(path.join(staging, `${name}.enc`), await encryptBuffer(text, dataKey, `${name}.enc`));
        else await writeFile(path.join(staging, name), text);
      };
      if (subjects) {
        const plainIndex = path.join(o.scratch, SUBJECT_INDEX);
        await subjects.write(plainIndex, parquetWrite("zstd", threads));
        if (dataKey)
          await encryptFile(plainIndex, path.join(staging, `${SUBJECT_INDEX}.enc`), dataKey, `${SUBJECT_INDEX}.enc`);
        else await writeFile(path.join(staging, SUBJECT_INDEX), await readFile(plainIndex));
        await rm(plainIndex, { force: true });
      }
      await json("stats.json", statsJson);
      await json("preprocessing.json", preprocessing);
      dataKey?.fill(0);
      const published = await publish(
        o.out,
        staging,
        encryption,
        {
          policy: retentionPolicy(spec),
          keep: o.keepVersions ?? [],
          shred: o.keyStore ? shredWith(o.keyStore) : undefined,
        },
        known,
      );
      progress(`published ${published.digest}`);
      return {
        digest: published.digest,
        dir: published.dir,
        rows: { ...statsJson.rows, total },
        stats: statsJson,
        preprocessing,
        notes,
        encrypted,
        versions: published.versions,
        ...(captured ? { captured } : {}),
      };
    } catch (err) {
      await rm(staging, { recursive: true, force: true });
      throw err;
    }
  } finally {
    db.closeSync();
    instance.closeSync();
    await rm(work, { recursive: true, force: true });
  }
}
