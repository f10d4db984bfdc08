// The report body the operator accepts (mirrors runtime/src/contract/report.ts, checked again here: it is untrusted).
import { Type } from "@sinclair/typebox";

export const REPORT_AUDIENCE = "liftoff-operator";
export const REPORT_PATH = "/v1/report";
export const REPORT_MAX_BYTES = 1024 * 1024;

export const ReportBody = Type.Object(
  {
    formatVersion: Type.Optional(Type.Literal(1)),
    phase: Type.Union([Type.Literal("progress"), Type.Literal("succeeded"), Type.Literal("failed")]),
    reason: Type.Optional(Type.String({ pattern: "^[A-Z][A-Za-z0-9]*$", maxLength: 64 })),
    message: Type.Optional(Type.String({ maxLength: 4096 })),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
