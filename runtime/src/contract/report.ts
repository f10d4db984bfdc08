// What a run's pod (prepare, train) posts to the operator over the result-reporting channel (docs/architecture.md,
// "Result reporting"). The operator validates every field again: this is a wire format, not a trusted value.

/** Version of the report body; the operator refuses one it does not know. */
export const REPORT_FORMAT_VERSION = 1;

/** The audience of the projected service-account token the pod sends; the operator's TokenReview asks for it. */
export const REPORT_AUDIENCE = "liftoff-operator";

/** The path the operator serves the channel on. */
export const REPORT_PATH = "/v1/report";

export interface ReportUpdate {
  formatVersion?: typeof REPORT_FORMAT_VERSION;
  /** progress: intermediate (e.g. an epoch); succeeded / failed: the run's outcome (the last report of a run). */
  phase: "progress" | "succeeded" | "failed";
  /** failed: a reason from the kind's catalogue (CamelCase), e.g. SchemaMismatch. */
  reason?: string;
  /** failed: what went wrong and how to fix it, never a secret or a data value of a pii column. */
  message?: string;
  /** The kind's own payload (DataSet: rows, digest, columns; TrainingJob: epoch, metrics …), at most 512 KiB. */
  data?: Record<string, unknown>;
}

/** Largest body the operator accepts. */
export const REPORT_MAX_BYTES = 1024 * 1024;
