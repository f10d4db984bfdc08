// The files that `prepare` writes and `train` and `serve` read: the one contract between DataSet, TrainingJob
// and ModelDeployment. Change it here and in docs/artifacts.md together; every reader validates `formatVersion`.

/** Every JSON file below carries this; a reader refuses a version it does not know. */
export const ARTIFACT_FORMAT_VERSION = 1;

/** How one raw column becomes zero or more model-input features, fitted on the training split only. */
export type FeatureTransform =
  /** Numeric, passed through. */
  | { kind: "identity"; column: string }
  /** (x - mean) / std; std is the sample standard deviation (ddof = 1); std 0 → the feature is 0. */
  | { kind: "standardize"; column: string; mean: number; std: number }
  /** (x - min) / (max - min); max == min → 0. */
  | { kind: "minMax"; column: string; min: number; max: number }
  /**
   * One feature per vocabulary entry, in vocabulary order (sorted by string value); a value outside the vocabulary
   * → all zeros (documented "unseen category" behaviour).
   */
  | { kind: "oneHot"; column: string; vocabulary: string[] }
  /** Booleans → 0/1. */
  | { kind: "boolean"; column: string };

export interface PreprocessingJson {
  formatVersion: typeof ARTIFACT_FORMAT_VERSION;
  /** Raw input columns a client sends (after dropColumns / hashPII removed or replaced some), in source order. */
  inputColumns: { name: string; type: "number" | "integer" | "string" | "boolean" | "category" }[];
  /** Missing-value fills applied before scaling/encoding, by raw column: the literal from `fillNA`. */
  fill: Record<string, string | number | boolean>;
  /** Ordered: the model's input tensor is the concatenation of every transform's features, in this order. */
  features: FeatureTransform[];
  /** Names of the resulting feature columns (e.g. `island=Biscoe`), one per model input; length = input width. */
  featureNames: string[];
  target: {
    column: string;
    task: "regression" | "binary" | "multiclass";
    /** Classification: the class labels; the training label is the index into this list (sorted by string value). */
    classes?: string[];
  };
  /** Columns that were HMAC-hashed with the Vault salt (serving must hash them the same way or refuse them). */
  hashedColumns: string[];
}

/** Per-feature statistics of the cleaned training split *before* scaling and encoding (shaped like TFDV's). */
export interface ColumnStats {
  name: string;
  type: "numeric" | "categorical";
  count: number;
  /** Missing values in the raw data (before dropNA/fillNA). */
  nulls: number;
  mean?: number;
  /** Sample standard deviation (ddof = 1), the value `standardize` uses. */
  std?: number;
  min?: number;
  max?: number;
  /** p1 p5 p10 p25 p50 p75 p90 p95 p99. */
  quantiles?: Record<string, number>;
  /**
   * Numeric: `edges` are the decile boundaries (p10 … p90, ascending, de-duplicated); bin i counts values in
   * (edges[i-1], edges[i]], with bin 0 = (-inf, edges[0]] and the last bin = (edges[last], +inf).
   * Categorical: counts per value, the top 100 plus `__other__`.
   */
  histogram:
    | { kind: "numeric"; edges: number[]; counts: number[] }
    | { kind: "categorical"; counts: Record<string, number> };
}

export interface StatsJson {
  formatVersion: typeof ARTIFACT_FORMAT_VERSION;
  rows: { read: number; dropped: number; train: number; validation: number; test: number };
  columns: ColumnStats[];
  /** Distribution of the target in the test split (class label → count, or numeric histogram): prediction-drift baseline. */
  target?: ColumnStats;
}

export interface ManifestFile {
  /** Relative to the version folder, `/`-separated. */
  path: string;
  sha256: string;
  size: number;
}

export interface ManifestJson {
  formatVersion: typeof ARTIFACT_FORMAT_VERSION;
  kind: "DataSet" | "TrainingJob" | "Capture";
  files: ManifestFile[];
  /** Present when the files are encrypted: never the data key itself. */
  encryption?: ManifestEncryption;
  /**
   * A version an ErasureRequest wrote: the version it replaces, without the subjects' rows. A restarted erase pod
   * finds its own earlier rewrite by it instead of writing a second one.
   */
  erasure?: {
    /** The ErasureRequest's name. */
    request: string;
    /** sha256:<hex> of the version replaced. */
    from: string;
    /** Rows of the subjects left out. */
    erased: number;
    /** Rows this version holds. */
    kept: number;
    /** Id of the replaced version's data key destroyed (the per-version key store's), where there was one. */
    keyId?: string;
  };
}

/**
 * Where an encrypted version's data key is: a DataSet version names its `keyId` in the DataSet's key store in Vault
 * KV (runtime/src/crypto/version-keys.ts; shredding destroys it there); captures, and DataSet versions written before
 * the key store, carry the transit-wrapped key inline (`wrappedKey`).
 */
export interface ManifestEncryption {
  transitKey: string;
  keyId?: string;
  wrappedKey?: string;
  algorithm: "AES-256-GCM";
  segmentSize: number;
}
