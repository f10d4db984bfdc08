// Raw record (by column name) → the model's input features, exactly as `prepare` wrote them (pure).
// Serving uses it so clients send what they have ({"island": "Biscoe", …}) and the model sees what training saw:
// the same fill, scale and encode, in the order of preprocessing.json's `features`, with no training/serving skew.
//
// Documented behaviour (docs/trainingjob.md, "Raw records"):
// - a column absent from the record → RecordError naming it (HTTP 400); an explicit null is a missing value and gets
//   the DataSet's fillNA literal, or a RecordError when the DataSet had none (prepare dropped such rows);
// - a category outside the training vocabulary → all-zero one-hot features (the model sees "none of the known ones");
// - columns other than the input columns are ignored (the target, ids);
// - columns that prepare hashed with the Vault salt cannot be computed without that salt: they are refused.
import { ARTIFACT_FORMAT_VERSION, type FeatureTransform, type PreprocessingJson } from "./artifacts.js";

/** A record the transform cannot turn into features; `column` names the culprit. */
export class RecordError extends Error {
  override name = "RecordError";
  constructor(
    readonly column: string,
    message: string,
  ) {
    super(message);
  }
}

export type RawRecord = Readonly<Record<string, unknown>>;

export interface RecordTransform {
  /** Number of model-input features (the input tensor's last dimension). */
  readonly width: number;
  readonly featureNames: readonly string[];
  /** Raw columns a record must carry (those some feature reads), in preprocessing.json's order. */
  readonly requiredColumns: readonly string[];
  /** Writes the record's features at `out[offset … offset + width)`. */
  into(record: RawRecord, out: Float32Array, offset: number): void;
  /** Many records → one row-major [records.length, width] buffer; errors name the record index. */
  batch(records: readonly RawRecord[]): Float32Array;
}

type Step = (record: RawRecord, out: Float32Array, at: number) => void;

/** Compiles preprocessing.json once; the returned transform does no lookups by feature name per record. */
export function compilePreprocessing(pre: PreprocessingJson): RecordTransform {
  if (pre.formatVersion !== ARTIFACT_FORMAT_VERSION) {
    throw new Error(
      `preprocessing.json has formatVersion ${String(pre.formatVersion)}; this runtime reads ${ARTIFACT_FORMAT_VERSION}`,
    );
  }
  const hashed = new Set(pre.hashedColumns);
  const steps: Step[] = [];
  const required: string[] = [];
  let width = 0;
  for (const f of pre.features) {
    if (hashed.has(f.column)) {
      throw new Error(
        `feature column '${f.column}' was hashed with the DataSet's Vault salt, which serving does not hold; drop it from the features`,
      );
    }
    if (!required.includes(f.column)) required.push(f.column);
    const at = width;
    width += featureWidth(f);
    steps.push(compileStep(f, pre.fill[f.column], at));
  }
  if (width !== pre.featureNames.length) {
    throw new Error(`preprocessing.json lists ${pre.featureNames.length} feature names but its features make ${width}`);
  }
  const into = (record: RawRecord, out: Float32Array, offset: number) => {
    for (const step of steps) step(record, out, offset);
  };
  return {
    width,
    featureNames: pre.featureNames,
    requiredColumns: required,
    into,
    batch(records) {
      const out = new Float32Array(records.length * width);
      records.forEach((r, i) => {
        if (r === null || typeof r !== "object" || Array.isArray(r)) {
          throw new RecordError("", `instance ${i} is not an object of column values`);
        }
        try {
          into(r, out, i * width);
        } catch (err) {
          if (err instanceof RecordError) throw new RecordError(err.column, `instance ${i}: ${err.message}`);
          throw err;
        }
      });
      return out;
    },
  };
}

function featureWidth(f: FeatureTransform): number {
  return f.kind === "oneHot" ? f.vocabulary.length : 1;
}

/** The record's value of `column` after fillNA; absent → error, null without a fill → error. */
function filled(record: RawRecord, column: string, fill: string | number | boolean | undefined): unknown {
  if (!Object.hasOwn(record, column)) throw new RecordError(column, `column '${column}' is missing`);
  const v = record[column];
  if (v !== null && v !== undefined && !(typeof v === "number" && Number.isNaN(v))) return v;
  if (fill === undefined) {
    throw new RecordError(column, `column '${column}' is null and the DataSet has no fillNA for it`);
  }
  return fill;
}

function numberOf(record: RawRecord, column: string, fill: string | number | boolean | undefined): number {
  const v = filled(record, column, fill);
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  throw new RecordError(column, `column '${column}' must be a finite number, got ${describe(v)}`);
}

function compileStep(f: FeatureTransform, fill: string | number | boolean | undefined, at: number): Step {
  const c = f.column;
  switch (f.kind) {
    case "identity":
      return (r, out, o) => {
        out[o + at] = numberOf(r, c, fill);
      };
    case "standardize": {
      const { mean, std } = f;
      return (r, out, o) => {
        const x = numberOf(r, c, fill);
        out[o + at] = std === 0 ? 0 : (x - mean) / std;
      };
    }
    case "minMax": {
      const { min, max } = f;
      return (r, out, o) => {
        const x = numberOf(r, c, fill);
        out[o + at] = max === min ? 0 : (x - min) / (max - min);
      };
    }
    case "oneHot": {
      const index = new Map(f.vocabulary.map((v, i) => [v, i]));
      const n = f.vocabulary.length;
      return (r, out, o) => {
        const v = filled(r, c, fill);
        if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
          throw new RecordError(c, `column '${c}' must be a category (string), got ${describe(v)}`);
        }
        out.fill(0, o + at, o + at + n);
        const i = index.get(String(v));
        if (i !== undefined) out[o + at + i] = 1;
      };
    }
    case "boolean":
      return (r, out, o) => {
        const v = filled(r, c, fill);
        if (v === true || v === false) out[o + at] = v ? 1 : 0;
        else if (v === 0 || v === 1) out[o + at] = v;
        else throw new RecordError(c, `column '${c}' must be true or false, got ${describe(v)}`);
      };
  }
}

function describe(v: unknown): string {
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (Array.isArray(v)) return "an array";
  if (typeof v === "number") return String(v);
  return typeof v;
}
