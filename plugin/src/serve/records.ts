// The records `kubectl liftoff predict` sends (pure): a JSON array of objects (or {"instances": [...]}), CSV with a
// header row, or --record flags of comma-separated k=v pairs. Values keep their JSON type; CSV and --record values
// that read as numbers become numbers, empty ones and NA become null (missing, as prepare fills them).
import { PluginError } from "../cli/errors.js";

export type RawRecord = Record<string, unknown>;

const MAX_RECORDS = 10_000;

const bad = (what: string, hint: string) => new PluginError("BadInput", what, hint);

/** A text value as the model server should see it. */
export function typed(text: string): string | number | null {
  const t = text.trim();
  if (t === "" || t === "NA" || t === "null") return null;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return Number(t);
  return t;
}

/** One CSV line's fields: commas, double quotes ("" inside quotes is a quote). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function fromCsv(text: string, file: string): RawRecord[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  const header = lines.shift();
  if (header === undefined) throw bad(`${file} is empty`, "give a header row and one row per record");
  const names = csvFields(header).map((h) => h.trim());
  if (names.some((n) => n === "") || new Set(names).size !== names.length)
    throw bad(`${file}: the header row needs distinct, non-empty column names`, "the first line names the columns");
  return lines.map((l, i) => {
    const fields = csvFields(l);
    if (fields.length !== names.length)
      throw bad(`${file} line ${i + 2} has ${fields.length} fields, the header ${names.length}`, "fix that row");
    return Object.fromEntries(names.map((n, j) => [n, typed(fields[j] as string)]));
  });
}

function fromJson(text: string, file: string): RawRecord[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw bad(`${file} is not valid JSON (${(err as Error).message})`, "give a JSON array of objects");
  }
  const list =
    typeof v === "object" && v !== null && !Array.isArray(v) && Array.isArray((v as { instances?: unknown }).instances)
      ? ((v as { instances: unknown[] }).instances as unknown[])
      : v;
  if (!Array.isArray(list)) throw bad(`${file} is not a JSON array`, 'give [{"column": value, ...}, ...]');
  list.forEach((r, i) => {
    if (typeof r !== "object" || r === null || Array.isArray(r))
      throw bad(`${file}: record ${i} is not an object`, 'each record is {"column": value, ...}');
  });
  return list as RawRecord[];
}

/** The records of a file's text; JSON when the name ends in .json or the text starts with [ or {, else CSV. */
export function parseRecordsFile(text: string, file: string): RawRecord[] {
  const json = /\.json$/i.test(file) || /^\s*[[{]/.test(text);
  return bounded(json ? fromJson(text, file) : fromCsv(text, file), file);
}

/** One --record value: `island=Biscoe,bill_length_mm=45.1` (a value with a comma goes in a file instead). */
export function parseRecordFlag(text: string): RawRecord {
  const rec: RawRecord = {};
  for (const pair of text.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    const k = eq > 0 ? pair.slice(0, eq).trim() : "";
    if (k === "")
      throw bad(`--record "${text}": "${pair}" is not k=v`, "write --record island=Biscoe,bill_length_mm=45.1");
    rec[k] = typed(pair.slice(eq + 1));
  }
  if (Object.keys(rec).length === 0) throw bad("--record is empty", "write --record island=Biscoe,bill_length_mm=45.1");
  return rec;
}

function bounded(records: RawRecord[], where: string): RawRecord[] {
  if (records.length === 0) throw bad(`${where} holds no records`, "give at least one record");
  if (records.length > MAX_RECORDS)
    throw bad(`${where} holds ${records.length} records, more than ${MAX_RECORDS}`, "split it into smaller files");
  return records;
}

export function parseRecordFlags(values: readonly string[]): RawRecord[] {
  return bounded(values.map(parseRecordFlag), "--record");
}
