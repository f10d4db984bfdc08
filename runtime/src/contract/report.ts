// What a run's pod (prepare, train) posts to the operator over the result-reporting channel (docs/architecture.md,
// "Result reporting"). One schema for both sides: the pod's type is its Static<>, and the operator validates every
// field against it again (operator/src/report/server.ts): this is a wire format, not a trusted value.
import { type Static, Type } from "@sinclair/typebox";

/** Version of the report body; the operator refuses one it does not know. */
export const REPORT_FORMAT_VERSION = 1;

/** The audience of the projected service-account token the pod sends; the operator's TokenReview asks for it. */
export const REPORT_AUDIENCE = "liftoff-operator";

/** The path the operator serves the channel on. */
export const REPORT_PATH = "/v1/report";

/** Largest body the operator accepts. */
export const REPORT_MAX_BYTES = 1024 * 1024;

export const ReportBody = Type.Object(
  {
    formatVersion: Type.Optional(Type.Literal(REPORT_FORMAT_VERSION)),
    /** progress: intermediate (e.g. an epoch); succeeded / failed: the run's outcome (the last report of a run). */
    phase: Type.Union([Type.Literal("progress"), Type.Literal("succeeded"), Type.Literal("failed")]),
    /** failed: a reason from the kind's catalogue (CamelCase), e.g. SchemaMismatch. */
    reason: Type.Optional(Type.String({ pattern: "^[A-Z][A-Za-z0-9]*$", maxLength: 64 })),
    /** failed: what went wrong and how to fix it, never a secret or a data value of a pii column. */
    message: Type.Optional(Type.String({ maxLength: 4096 })),
    /** The kind's own payload (DataSet: rows, digest, columns; TrainingJob: epoch, metrics …), at most 512 KiB. */
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export type ReportUpdate = Static<typeof ReportBody>;

/**
 * Where serving pods push their monitoring snapshot (the JSON GET /monitoring returns) every monitoring period, on the
 * same endpoint and with the same token as run reports; the operator merges the pods' latest snapshots into
 * status.monitoring (docs/monitoring.md). Pushed rather than polled, so /monitoring can stay behind the API key.
 */
export const MONITORING_REPORT_PATH = "/v1/monitoring";

/** Largest snapshot the operator accepts (what it read at most from a pod's /monitoring before). */
export const MONITORING_REPORT_MAX_BYTES = 4 * 1024 * 1024;

/** The monitoring push URL beside a report URL (same host and port; the path is fixed). */
export function monitoringReportUrl(reportUrl: string): string {
  return new URL(MONITORING_REPORT_PATH, reportUrl).toString();
}
