// What a prepare pod reported, checked (it is untrusted input) and reduced to the status fields it may set.
import { type Static, Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import { ReportRejected } from "../report/identity.js";

const Count = Type.Integer({ minimum: 0 });
const Num = Type.Number();
const ColumnSummary = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 128 }),
    count: Count,
    nulls: Count,
    mean: Type.Optional(Num),
    std: Type.Optional(Num),
    min: Type.Optional(Num),
    max: Type.Optional(Num),
    quantiles: Type.Optional(Type.Record(Type.String({ maxLength: 8 }), Num)),
    categories: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Count)),
  },
  { additionalProperties: false },
);

export const PrepareOutcome = Type.Object({
  digest: Type.String({ pattern: "^sha256:[0-9a-f]{64}$" }),
  rows: Type.Object({
    read: Count,
    dropped: Count,
    total: Count,
    train: Count,
    validation: Count,
    test: Count,
    /** Of the rows read, those from captured traffic (source.captured). */
    captured: Type.Optional(Count),
  }),
  /** Capture versions read (source.captured). */
  capturedVersions: Type.Optional(Count),
  task: Type.Union([Type.Literal("regression"), Type.Literal("binary"), Type.Literal("multiclass")]),
  columns: Type.Array(ColumnSummary, { maxItems: 1024 }),
  notes: Type.Array(Type.String({ maxLength: 1024 }), { maxItems: 16 }),
  encrypted: Type.Boolean(),
});

export type PrepareOutcome = Static<typeof PrepareOutcome>;

/** A run's outcome as the reconciler keeps it until it is in the status. */
export type RunResult =
  | { jobUid: string; phase: "succeeded"; outcome: PrepareOutcome }
  | { jobUid: string; phase: "failed"; reason: string; message: string };

export function outcomeOf(data: unknown): PrepareOutcome {
  const clean = Value.Clean(PrepareOutcome, structuredClone(data));
  if (!Value.Check(PrepareOutcome, clean)) {
    const e = Value.Errors(PrepareOutcome, clean).First();
    throw new ReportRejected(`bad DataSet result at ${e?.path || "/"}: ${e?.message ?? "invalid"}`, 400);
  }
  return clean;
}
