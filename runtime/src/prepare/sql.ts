// Small SQL builders for DuckDB (pure): quoting, casts to schema types, and the HMAC expression hashPII uses.
import { createHash } from "node:crypto";
import type { ColumnType } from "./spec.js";

export const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
export const lit = (value: string) => `'${value.replaceAll("'", "''")}'`;

const SQL_TYPE: Record<ColumnType, string> = {
  number: "DOUBLE",
  integer: "BIGINT",
  boolean: "BOOLEAN",
  category: "VARCHAR",
  string: "VARCHAR",
};

/** The value cast to the column's type; NULL when it does not cast (the schema check reports those first). */
export function castSql(expr: string, type: ColumnType): string {
  if (type === "integer") {
    // "3.0" is an integer to a pandas user; "3.5" is not.
    return `CASE WHEN TRY_CAST(${expr} AS DOUBLE) = floor(TRY_CAST(${expr} AS DOUBLE)) THEN TRY_CAST(TRY_CAST(${expr} AS DOUBLE) AS BIGINT) END`;
  }
  if (type === "boolean") {
    // true/false, 1/0, and PostgreSQL's text form t/f, yes/no (any case).
    return `CASE lower(trim(CAST(${expr} AS VARCHAR))) WHEN 'true' THEN true WHEN 'false' THEN false WHEN '1' THEN true WHEN '0' THEN false WHEN 't' THEN true WHEN 'f' THEN false WHEN 'yes' THEN true WHEN 'no' THEN false END`;
  }
  if (type === "number") {
    // inf, -Infinity, 1e400 (out of range) and NaN are no number a model can take: they do not cast, so the schema
    // check names the column and rows (statistics over them would fail half-way).
    return `CASE WHEN isfinite(TRY_CAST(${expr} AS DOUBLE)) THEN TRY_CAST(${expr} AS DOUBLE) END`;
  }
  return `TRY_CAST(${expr} AS ${SQL_TYPE[type]})`;
}

/**
 * HMAC-SHA-256(salt, value) as lowercase hex, in SQL: sha256((K ⊕ opad) ‖ sha256((K ⊕ ipad) ‖ m)) with the
 * padded keys as constants, so hashing runs inside DuckDB's scan. Checked against node:crypto in hmac.test.ts.
 */
export function hmacSql(expr: string, salt: Buffer): string {
  const block = Buffer.alloc(64);
  (salt.length > 64 ? Buffer.from(sha256(salt), "hex") : salt).copy(block);
  const ipad = Buffer.from(block.map((b) => b ^ 0x36)).toString("hex");
  const opad = Buffer.from(block.map((b) => b ^ 0x5c)).toString("hex");
  const inner = `sha256(unhex('${ipad}') || encode(CAST(${expr} AS VARCHAR)))`;
  return `CASE WHEN ${expr} IS NULL THEN NULL ELSE sha256(unhex('${opad}') || unhex(${inner})) END`;
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

/**
 * The Parquet write options that keep the bytes reproducible. With several threads DuckDB's order-preserving writer
 * merges finished input batches into row groups of ROW_GROUP_SIZE as they arrive, so the row-group boundaries (and
 * bytes) depend on timing; with ROW_GROUP_SIZE 0 each input batch (a row group of the Parquet read, a byte range of
 * the CSV read: fixed by the data) becomes one row group. With one thread the merge runs in order, so it may merge.
 */
export const parquetWrite = (compression: string, threads: number) =>
  `FORMAT parquet, COMPRESSION ${compression}, ROW_GROUP_SIZE ${threads > 1 ? 0 : 122880}`;

/** A DuckDB memory size ("768MB", "1GB", "512MiB") in megabytes. */
export function megabytes(size: string): number {
  const m = /^\s*([\d.]+)\s*(k|m|g|t)?i?b?\s*$/i.exec(size);
  if (!m) throw new Error(`not a memory size: ${size}`);
  const scale = { k: 1 / 1024, m: 1, g: 1024, t: 1024 ** 2 }[(m[2] ?? "m").toLowerCase() as "k" | "m" | "g" | "t"];
  return Number(m[1]) * scale;
}
