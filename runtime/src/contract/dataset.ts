// The DataSet values both sides apply: the API publishes them as the CRD's defaults (operator/src/api/v1alpha1/
// dataset.ts), and `prepare` fills them into a spec that no API server defaulted (a local manifest;
// runtime/src/prepare/spec.ts), so a local run behaves like one in the cluster.

/** pandas.read_csv's default missing-value markers (keep_default_na), so a pandas user's file reads the same. */
export const PANDAS_NA_VALUES: string[] = [
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
];

/** spec.split when omitted: 80/10/10, shuffled with seed 42. */
export const SPLIT_DEFAULTS = { train: 0.8, validation: 0.1, test: 0.1, seed: 42 } as const;

/** spec.csv when omitted (naValues: PANDAS_NA_VALUES). */
export const CSV_DEFAULTS = { delimiter: ",", header: true, quote: '"' } as const;

/** The other top-level defaults of a DataSet spec. */
export const DATASET_DEFAULTS = {
  format: "csv",
  retainVersions: 3,
  /** spec.encryption.vaultRole */
  encryptionVaultRole: "liftoff-dataset",
  /** spec.privacy.onErasure */
  onErasure: "Flag",
} as const;

/** spec.source.captured's defaults: the last week of traffic, only rows whose feedback label arrived. */
export const CAPTURED_DEFAULTS = { maxAgeHours: 168, labelled: true } as const;

/**
 * LIFTOFF_CAPTURED_SOURCE (POD_ENV.capturedSource): source.captured as the operator resolved it from the
 * ModelDeployment, for the prepare pod (runtime/src/prepare/captured-source.ts).
 */
export interface CapturedSourceEnv {
  /** The ModelDeployment whose capture is read (messages name it). */
  modelDeployment: string;
  /** Its spec.capture.uri: pvc://claim/path or s3://bucket/prefix. */
  uri: string;
  /** Where the pod reads it: the folder on the mounted claim, or the s3:// URI itself. */
  root: string;
}

/**
 * Reasons of a failed prepare run that may pass on a later attempt (the source, Vault or the object store did not
 * answer): prepare exits 1 for them, so the Job retries with back-off, and the operator shows the DataSet as
 * Progressing (retrying) rather than Failed until the Job gives up.
 */
export const PREPARE_RETRIED_REASONS: ReadonlySet<string> = new Set([
  "SourceUnreachable",
  "VaultUnreachable",
  "VaultSealed",
  "StorageUnreachable",
]);
