// The per-version subject index (spec.privacy.subjectKey): for every stored row, the HMAC-SHA-256 of its subject key
// and where the row is (part, row number in that part's file), sorted by HMAC, as subjects.parquet(.enc) beside the
// parts. An ErasureRequest's pod HMACs the subjects' keys with the same salt and looks them up here: no scan of the
// data and no plaintext key anywhere in the version. The salt is that of the hashPII step naming the column (then
// the index holds the very values the column stores) or spec.privacy.saltSecret.
import { createHmac } from "node:crypto";
import { rm } from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { CAPTURED, SOURCE_COLUMN, typedName } from "./clean.js";
import { PrepareError, PrepareReason } from "./errors.js";
import type { Plan } from "./plan.js";
import type { PrepareSpec, VaultRef } from "./spec.js";
import { hmacSql, ident, lit } from "./sql.js";

/** The index's file name in a version (with `.enc` when the version is encrypted). */
export const SUBJECT_INDEX = "subjects.parquet";

/** Where the HMAC key of the index comes from: the hashPII step that hashes the column, else privacy.saltSecret. */
export function subjectSaltRef(plan: Plan, spec: PrepareSpec): VaultRef {
  return subjectSalt(plan, spec).ref;
}

/** The salt's reference, and whether it is a hashPII step's (the column then stores the HMAC). */
export function subjectSalt(plan: Plan, spec: PrepareSpec): { ref: VaultRef; hashed: boolean } {
  const key = spec.privacy?.subjectKey;
  if (!key) throw new PrepareError(PrepareReason.InvalidSpec, "spec.privacy.subjectKey is not set");
  if (!plan.columns.some((c) => c.name === key)) {
    throw new PrepareError(PrepareReason.InvalidSpec, `privacy.subjectKey "${key}" is not a column of schema.columns`);
  }
  for (const step of plan.rowSteps) {
    if (step.kind === "hashPII" && step.columns.includes(key)) return { ref: step.salt, hashed: true };
  }
  if (spec.privacy?.saltSecret) return { ref: spec.privacy.saltSecret, hashed: false };
  throw new PrepareError(
    PrepareReason.InvalidSpec,
    `privacy needs saltSecret (the HMAC key of the subject index): no hashPII step hashes "${key}"`,
  );
}

/** HMAC-SHA-256 (hex) of one subject key: what hmacSql computes over the key's text in DuckDB. */
export function subjectHash(value: string, salt: Buffer): string {
  return createHmac("sha256", salt).update(value, "utf8").digest("hex");
}

/**
 * Collects the index while the parts are written: `copyPart` writes a part's file with the rows in the same order
 * as a plain COPY would, and records each row's HMAC from the typed source file (the subject column may be dropped
 * or hashed before the parts; `__row` is the row's number in the typed file, kept through every step).
 */
export class SubjectIndexWriter {
  private created = false;

  constructor(
    private readonly db: DuckDBConnection,
    private readonly o: {
      typedFile: string;
      /** The key column's position in schema.columns (the typed file names columns by position). */
      column: number;
      salt: Buffer;
      /** The typed file carries captured rows and the key column is hashed: those rows hold the HMAC already. */
      capturedHashed: boolean;
    },
  ) {}

  async copyPart(select: string, from: string, where: string, part: string, plain: string, options: string) {
    if (!this.created) {
      await this.db.run(`CREATE TEMP TABLE __subjects (subject VARCHAR, part VARCHAR, "row" BIGINT)`);
      this.created = true;
    }
    const withRow = `${plain}.rows.parquet`;
    await this.db.run(`COPY (SELECT ${select}, __row FROM ${from} WHERE ${where}) TO ${lit(withRow)} (FORMAT parquet)`);
    // A projection of one file keeps its order (preserve_insertion_order): row i here is row i of withRow.
    await this.db.run(
      `COPY (SELECT * EXCLUDE (__row) FROM read_parquet(${lit(withRow)})) TO ${lit(plain)} (${options})`,
    );
    const key = `t.${typedName(this.o.column)}`;
    // Captured rows' hashed columns were hashed by the serving pod with the same salt (clean.ts): taken as they are.
    const hash = this.o.capturedHashed
      ? `CASE WHEN t.${ident(SOURCE_COLUMN)} = ${lit(CAPTURED)} THEN ${key} ELSE ${hmacSql(key, this.o.salt)} END`
      : hmacSql(key, this.o.salt);
    await this.db.run(
      `INSERT INTO __subjects SELECT ${hash}, ${lit(part)}, p.file_row_number ` +
        `FROM read_parquet(${lit(withRow)}, file_row_number=true) p ` +
        `JOIN read_parquet(${lit(this.o.typedFile)}, file_row_number=true) t ON p.__row = t.file_row_number ` +
        `WHERE ${key} IS NOT NULL`,
    );
    await rm(withRow, { force: true });
  }

  /** Writes the index, sorted by HMAC, to `file`; the number of rows indexed. */
  async write(file: string, options: string): Promise<number> {
    if (!this.created) await this.db.run(`CREATE TEMP TABLE __subjects (subject VARCHAR, part VARCHAR, "row" BIGINT)`);
    await this.db.run(`COPY (SELECT * FROM __subjects ORDER BY subject, part, "row") TO ${lit(file)} (${options})`);
    const n = await this.db.runAndReadAll("SELECT count(*) FROM __subjects");
    return Number(n.getRowsJS()[0]?.[0] ?? 0);
  }
}
