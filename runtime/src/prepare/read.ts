// The raw relation: a DuckDB table function over the fetched file that yields the source's columns as text (csv,
// jsonl) or native types (parquet), streamed, never loaded whole. The column names come from the file itself, so a
// missing column is found before any row is processed.
import { open } from "node:fs/promises";
import type { DuckDBConnection } from "@duckdb/node-api";
import { isReservedColumn, RESERVED_HINT } from "./clean.js";
import { PrepareError, PrepareReason } from "./errors.js";
import type { PrepareSpec } from "./spec.js";
import { ident, lit } from "./sql.js";

export interface RawRelation {
  /** SQL usable after FROM. */
  from: string;
  /** Column names in source order. */
  names: string[];
  /** Lines before the first data row (1 for a CSV header), to turn row numbers into line numbers. */
  headerLines: number;
  /** Columns besides the schema's carried unchanged into the typed file (captured-source.ts: __source). */
  carry?: string[];
}

/** Fields of one CSV line, honouring the quote character (doubled quotes inside quotes). */
function splitCsvLine(line: string, delimiter: string, quote: string): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === quote && line[i + 1] === quote) {
        field += quote;
        i++;
      } else if (ch === quote) quoted = false;
      else field += ch;
    } else if (ch === quote) quoted = true;
    else if (ch === delimiter) {
      out.push(field);
      field = "";
    } else field += ch;
  }
  out.push(field);
  return out;
}

async function firstLine(file: string): Promise<string | undefined> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf
      .subarray(0, bytesRead)
      .toString("utf8")
      .replace(/^\uFEFF/, "");
    const end = text.search(/\r?\n/);
    const line = end < 0 ? text : text.slice(0, end);
    return line.trim() === "" && end < 0 ? undefined : line;
  } finally {
    await fh.close();
  }
}

const empty = () => new PrepareError(PrepareReason.TooFewRows, "the source is empty: no header and no rows");

export async function rawRelation(db: DuckDBConnection, file: string, spec: PrepareSpec): Promise<RawRelation> {
  const path = lit(file);
  if (spec.format === "csv") {
    const { delimiter, quote, header, naValues } = spec.csv;
    const line = await firstLine(file);
    if (line === undefined) throw empty();
    const width = splitCsvLine(line, delimiter, quote).length;
    const names = header
      ? splitCsvLine(line, delimiter, quote).map((n) => n.trim())
      : spec.schema.columns.map((c) => c.name);
    if (!header && width !== names.length) {
      throw new PrepareError(
        PrepareReason.SchemaMismatch,
        `the file has ${width} fields per line but schema.columns lists ${names.length} (csv.header is false, so columns are taken in schema order)`,
      );
    }
    const dupe = names.find((n, i) => names.indexOf(n) !== i);
    if (dupe !== undefined)
      throw new PrepareError(PrepareReason.MalformedData, `the header names column "${dupe}" twice`);
    const columns = names.map((n) => `${lit(n)}: 'VARCHAR'`).join(", ");
    const from =
      `read_csv(${path}, header=${header}, delim=${lit(delimiter)}, quote=${lit(quote)}, escape=${lit(quote)}, ` +
      `nullstr=[${naValues.map(lit).join(", ")}], auto_detect=false, columns={${columns}}, strict_mode=true)`;
    return { from, names, headerLines: header ? 1 : 0 };
  }
  const from =
    spec.format === "jsonl"
      ? `read_json(${path}, format='newline_delimited', maximum_depth=1)`
      : `read_parquet(${path})`;
  let names: string[];
  try {
    const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
    names = described.getRowObjectsJS().map((r) => String(r.column_name));
  } catch (err) {
    const message = (err as Error).message.split("\n")[0] ?? "";
    if (/empty|no data|0 bytes|too small/i.test(message)) throw empty();
    throw new PrepareError(PrepareReason.MalformedData, `cannot read the ${spec.format} source: ${message}`);
  }
  return { from, names, headerLines: 0 };
}

/** The raw relation restricted to the schema's columns, in schema order (missing ones fail). */
export function schemaColumnsOf(raw: RawRelation, spec: PrepareSpec): string[] {
  const reserved = raw.names.find(isReservedColumn);
  if (reserved !== undefined) {
    throw new PrepareError(
      PrepareReason.SchemaMismatch,
      `the source has a column "${reserved}": ${RESERVED_HINT}; rename or remove it in the source`,
    );
  }
  const missing = spec.schema.columns.map((c) => c.name).filter((n) => !raw.names.includes(n));
  if (missing.length > 0) {
    const found = raw.names.slice(0, 20).join(", ");
    throw new PrepareError(
      PrepareReason.SchemaMismatch,
      `column${missing.length > 1 ? "s" : ""} ${missing.map((m) => `"${m}"`).join(", ")} of schema.columns ${missing.length > 1 ? "are" : "is"} not in the data (found: ${found}${raw.names.length > 20 ? ", …" : ""})`,
    );
  }
  return spec.schema.columns.map((c) => ident(c.name));
}
