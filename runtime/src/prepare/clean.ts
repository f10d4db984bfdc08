// The typed and the cleaned relations (pure SQL). Typed: the schema columns cast to their types, positionally named
// (`__c<i>`, any column name is safe in the scratch Parquet file), with each row's count of raw missing fields; it is
// written once, so the source is parsed once. Cleaned: the typed file read back with its row number (the source
// row, 0-based), then each row step in spec order (dropNA, fillNA, hashPII, dropColumns) as one nested SELECT.
import type { Plan } from "./plan.js";
import { castSql, hmacSql, ident, lit } from "./sql.js";

export const typedName = (i: number) => `__c${i}`;

/** The column that tells captured rows (captured-source.ts) from the primary source's, until after cleaning. */
export const SOURCE_COLUMN = "__source";
export const CAPTURED = "captured";

/**
 * The column names the pipeline adds itself (clean.ts, pipeline.ts, split.ts, thresholds.ts): a source or schema
 * column of the same name would overwrite one of them and corrupt the split or the statistics without an error.
 * The API (and specWithDefaults, for local manifests) refuses every schema column name starting with "__"; a source
 * header is refused only for these names (other "__" columns, e.g. pandas' __index_level_0__, are never read).
 */
const RESERVED_COLUMNS = ["__row", "__key", "__sample", "__part", "__nulls", "__h", "__source"];

export const isReservedColumn = (name: string) => RESERVED_COLUMNS.includes(name) || /^__c[0-9]+$/.test(name);

export const RESERVED_HINT = `names starting with "__" are reserved for prepare's own columns (${RESERVED_COLUMNS.join(", ")}, __c<n>)`;

/** `carry`: columns passed through as they are (__source, when captured traffic is merged in). */
export function typedSql(from: string, columns: Plan["columns"], carry: readonly string[] = []): string {
  const casts = columns.map((c, i) => `${castSql(ident(c.name), c.type)} AS ${typedName(i)}`);
  const missing = columns.map((c) => `CAST(${ident(c.name)} IS NULL AS INTEGER)`).join(" + ");
  return `SELECT ${[...casts, ...carry.map(ident)].join(", ")}, ${missing} AS __nulls FROM ${from}`;
}

/**
 * `captured`: the typed file holds __source (captured-source.ts); captured rows skip hashPII (the serving pod hashed
 * them with the same salt already) and __source is dropped after the row steps.
 */
export function cleanSql(typedFile: string, plan: Plan, salts: Map<string, Buffer>, captured = false): string {
  const names = plan.columns.map((c, i) => `${typedName(i)} AS ${ident(c.name)}`);
  if (captured) names.push(ident(SOURCE_COLUMN));
  let sql = `SELECT file_row_number AS __row, ${names.join(", ")} FROM read_parquet(${lit(typedFile)}, file_row_number=true)`;
  for (const step of plan.rowSteps) {
    switch (step.kind) {
      case "dropNA":
        if (step.columns.length > 0) {
          sql = `SELECT * FROM (${sql}) WHERE ${step.columns.map((c) => `${ident(c)} IS NOT NULL`).join(" AND ")}`;
        }
        break;
      case "fillNA": {
        const c = ident(step.column);
        sql = `SELECT * REPLACE (coalesce(${c}, ${castSql(lit(step.value), step.type)}) AS ${c}) FROM (${sql})`;
        break;
      }
      case "hashPII": {
        const salt = salts.get(`${step.salt.path}#${step.salt.key}`) as Buffer;
        const hash = (c: string) =>
          captured
            ? `CASE WHEN ${ident(SOURCE_COLUMN)} = ${lit(CAPTURED)} THEN ${ident(c)} ELSE ${hmacSql(ident(c), salt)} END`
            : hmacSql(ident(c), salt);
        const items = step.columns.map((c) => `${hash(c)} AS ${ident(c)}`);
        if (items.length > 0) sql = `SELECT * REPLACE (${items.join(", ")}) FROM (${sql})`;
        break;
      }
      case "dropColumns":
        sql = `SELECT * EXCLUDE (${step.columns.map(ident).join(", ")}) FROM (${sql})`;
        break;
    }
  }
  return captured ? `SELECT * EXCLUDE (${ident(SOURCE_COLUMN)}) FROM (${sql})` : sql;
}

/**
 * The columns that may still hold missing values after the row steps: those with missing raw values that no fillNA
 * fills and no dropNA drops (a dropNA on another column may still remove them; counting tells).
 */
export function maybeMissing(plan: Plan, rawNulls: Map<string, number>): Set<string> {
  const out = new Set(plan.columns.filter((c) => (rawNulls.get(c.name) ?? 0) > 0).map((c) => c.name));
  for (const step of plan.rowSteps) {
    if (step.kind === "fillNA") out.delete(step.column);
    else if (step.kind === "dropNA") for (const c of step.columns) out.delete(c);
  }
  return out;
}
