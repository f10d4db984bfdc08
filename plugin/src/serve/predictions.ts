// The predictions table (pure): each record's input columns, then the predicted class and its probability
// (classification: the model server's V1 `labels` and the top score of each row), or the predicted value.
import type { RawRecord } from "./records.js";

/** A KServe V1 answer to raw records (runtime/src/serve/raw-records.ts adds `labels` for classification). */
export interface V1Answer {
  predictions: unknown[];
  labels?: string[];
}

export function isV1Answer(v: unknown): v is V1Answer {
  return typeof v === "object" && v !== null && Array.isArray((v as V1Answer).predictions);
}

export interface PredictionRow {
  record: RawRecord;
  /** The class label (classification) or undefined. */
  label?: string;
  /** The predicted class's probability; for a regression model, the predicted value. */
  score?: number;
}

const nums = (v: unknown): number[] =>
  Array.isArray(v) ? v.flat(4).filter((x): x is number => typeof x === "number") : typeof v === "number" ? [v] : [];

export function predictionRows(records: readonly RawRecord[], answer: V1Answer): PredictionRow[] {
  return records.map((record, i) => {
    const scores = nums(answer.predictions[i]);
    const label = answer.labels?.[i];
    if (label === undefined) return { record, ...(scores.length === 1 ? { score: scores[0] as number } : {}) };
    // One score is a binary model's P(second class); otherwise the label is the arg-max of the row.
    const score = scores.length === 1 ? Math.max(scores[0] as number, 1 - (scores[0] as number)) : Math.max(...scores);
    return { record, label, ...(Number.isFinite(score) ? { score } : {}) };
  });
}

/** Columns in first-seen order over all records. */
export function inputColumns(records: readonly RawRecord[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

const cell = (v: unknown): string =>
  v === null || v === undefined
    ? "<none>"
    : typeof v === "string"
      ? v
      : typeof v === "number"
        ? String(v)
        : JSON.stringify(v);

/** Headers and rows for cli/terminal.ts table(). */
export function predictionTable(rows: readonly PredictionRow[]): { headers: string[]; rows: string[][] } {
  const cols = inputColumns(rows.map((r) => r.record));
  const classification = rows.some((r) => r.label !== undefined);
  const headers = [...cols, ...(classification ? ["predicted", "probability"] : ["prediction"])];
  return {
    headers,
    rows: rows.map((r) => [
      ...cols.map((c) => cell(r.record[c])),
      ...(classification
        ? [r.label ?? "", r.score === undefined ? "" : r.score.toFixed(3)]
        : [r.score === undefined ? "" : String(Number(r.score.toPrecision(6)))]),
    ]),
  };
}
