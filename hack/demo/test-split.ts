// The DataSet's test split back as raw records by column name: the prepared Parquet rows hold the model's features
// (standardised numbers, one-hot categories), so each is turned back into the column values a client would send,
// with preprocessing.json's own parameters. The server then applies the same preprocessing to them.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { PreprocessingJson } from "../../runtime/src/contract/artifacts.js";
import { decryptFile } from "../../runtime/src/crypto/segments.js";

export interface LabelledRecord {
  record: Record<string, number | string | boolean>;
  label: string;
}

/** One feature row (in preprocessing.json's feature order) → the raw record it came from (pure). */
export function rawRecord(pre: PreprocessingJson, features: number[]): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  let at = 0;
  const round = (x: number) => Math.round(x * 10) / 10; // the data's own precision: one decimal
  for (const f of pre.features) {
    switch (f.kind) {
      case "standardize":
        out[f.column] = round((features[at++] ?? 0) * f.std + f.mean);
        break;
      case "minMax":
        out[f.column] = round((features[at++] ?? 0) * (f.max - f.min) + f.min);
        break;
      case "identity":
        out[f.column] = features[at++] ?? 0;
        break;
      case "boolean":
        out[f.column] = (features[at++] ?? 0) > 0.5;
        break;
      case "oneHot": {
        const hot = f.vocabulary.map((_, i) => features[at + i] ?? 0);
        out[f.column] = f.vocabulary[hot.indexOf(Math.max(...hot))] ?? "";
        at += f.vocabulary.length;
        break;
      }
    }
  }
  return out;
}

/**
 * An encrypted version's preprocessing.json and test split, decrypted with its data key into a folder on the tmpfs
 * (/dev/shm), which the caller removes: plaintext never reaches a disk here either.
 */
async function decryptedTestSplit(versionDir: string, dataKey: Buffer): Promise<string> {
  const plain = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "liftoff-demo-"));
  const enc = ["preprocessing.json.enc", ...readdirSync(join(versionDir, "test")).map((f) => `test/${f}`)];
  mkdirSync(join(plain, "test"));
  for (const rel of enc.filter((f) => f.endsWith(".enc"))) {
    await decryptFile(join(versionDir, rel), join(plain, rel.slice(0, -".enc".length)), dataKey, rel);
  }
  return plain;
}

/**
 * Reads `<version folder>/test/*.parquet` and returns raw records with their true labels; an encrypted version
 * (`*.parquet.enc`) needs its data key.
 */
export async function testRecords(versionDir: string, dataKey?: Buffer): Promise<LabelledRecord[]> {
  if (!dataKey) return readRecords(versionDir);
  const plain = await decryptedTestSplit(versionDir, dataKey);
  try {
    return await readRecords(plain);
  } finally {
    rmSync(plain, { recursive: true, force: true });
  }
}

async function readRecords(versionDir: string): Promise<LabelledRecord[]> {
  const pre = JSON.parse(readFileSync(join(versionDir, "preprocessing.json"), "utf8")) as PreprocessingJson;
  const classes = pre.target.classes ?? [];
  const files = readdirSync(join(versionDir, "test"))
    .filter((f) => f.endsWith(".parquet"))
    .map((f) => `'${join(versionDir, "test", f).replaceAll("'", "''")}'`);
  const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const cols = [...pre.featureNames.map((n) => `CAST(${q(n)} AS DOUBLE)`), `CAST(${q(pre.target.column)} AS INTEGER)`];
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    const res = await conn.runAndReadAll(`SELECT ${cols.join(", ")} FROM read_parquet([${files.join(", ")}])`);
    return res.getRows().map((row) => {
      const values = row.map(Number);
      const target = values.pop() ?? 0;
      return { record: rawRecord(pre, values), label: classes[target] ?? String(target) };
    });
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}
