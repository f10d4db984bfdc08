/**
 * Top-k over a score output, as Triton's classification extension answers `class_count`: per row, the k highest
 * scores (ties: the lower index first, as a stable sort gives them), each as the string `score:index:label` —
 * `score:index` when there are no labels — in a BYTES tensor of shape [rows, k]. Optionally softmax first, so logits
 * come out as probabilities. Scores have six decimals, as Triton prints them.
 */
import { errors } from "../../errors.js";
import type { BytesData, OutputTensor } from "../model/loaded-model.js";

/** Labels file: one label a line, line i naming class i; a trailing newline and CRLF line ends are allowed. */
export function parseLabels(bytes: Uint8Array): string[] {
  const text = Buffer.from(bytes).toString("utf8");
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/** Softmax of each row of `classes` values, in float64 then float32 (max subtracted first: no overflow). */
export function softmaxRows(data: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r * classes < data.length; r++) {
    const o = r * classes;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < classes; i++) max = Math.max(max, data[o + i] as number);
    let sum = 0;
    for (let i = 0; i < classes; i++) sum += Math.exp((data[o + i] as number) - max);
    for (let i = 0; i < classes; i++) out[o + i] = Math.exp((data[o + i] as number) - max) / sum;
  }
  return out;
}

/** The k largest of one row, by value descending, ties by index ascending. */
function topIndices(data: Float32Array, offset: number, classes: number, k: number): number[] {
  const idx = Array.from({ length: classes }, (_, i) => i);
  idx.sort((a, b) => (data[offset + b] as number) - (data[offset + a] as number) || a - b);
  return idx.slice(0, k);
}

const encoder = new TextEncoder();

export interface TopKOptions {
  k: number;
  softmax: boolean;
  labels?: readonly string[];
  /** For errors: the output's name. */
  output: string;
}

/**
 * Top-k of a float32 output of shape [rows, classes] (or [rows, 1, …, classes]: everything after dimension 0 is one
 * row of classes, as Triton flattens it). k above the class count gives all classes.
 */
export function topK(t: OutputTensor, o: TopKOptions): OutputTensor {
  if (!(t.data instanceof Float32Array))
    throw errors.invalidInput(`output '${o.output}' is ${t.dtype}, not scores: class_count needs a float output`);
  const rows = t.shape[0] ?? 1;
  const classes = rows === 0 ? 0 : t.data.length / rows;
  const scores = o.softmax ? softmaxRows(t.data, classes) : t.data;
  const k = Math.min(o.k, classes);
  const data: BytesData = [];
  for (let r = 0; r < rows; r++) {
    for (const i of topIndices(scores, r * classes, classes, k)) {
      const label = o.labels?.[i];
      // Six decimals, as Triton writes them (std::to_string of the float).
      const score = (scores[r * classes + i] as number).toFixed(6);
      data.push(encoder.encode(label === undefined ? `${score}:${i}` : `${score}:${i}:${label}`));
    }
  }
  return { data, shape: [rows, k], dtype: "bytes" };
}
