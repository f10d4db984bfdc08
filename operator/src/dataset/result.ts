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

const Stamp = Type.String({ maxLength: 40 });
/** One version as the pod saw it (runtime/src/contract/retention.ts VersionRecord). */
const ReportedVersion = Type.Object(
  {
    version: Type.String({ pattern: "^[0-9a-f]{12}$" }),
    digest: Type.String({ pattern: "^sha256:[0-9a-f]{64}$" }),
    created: Stamp,
    keyId: Type.Optional(Type.String({ pattern: "^[0-9a-f]{32}$" })),
    state: Type.Union([Type.Literal("Retained"), Type.Literal("Shredded")]),
    shredded: Type.Optional(Stamp),
    reason: Type.Optional(Type.String({ pattern: "^[A-Z][A-Za-z]*$", maxLength: 64 })),
  },
  { additionalProperties: false },
);
const ReportedVersions = Type.Array(ReportedVersion, { maxItems: 150 });

/** What a prune Job reports: the versions it saw, kept or shredded. */
export const PruneOutcome = Type.Object({ versions: ReportedVersions, deleted: Count });
export type PruneOutcome = Static<typeof PruneOutcome>;

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
  /** The versions after publishing (and pruning); absent from runtimes before status.versions. */
  versions: Type.Optional(ReportedVersions),
});

export type PrepareOutcome = Static<typeof PrepareOutcome>;

/** A run's outcome as the reconciler keeps it until it is in the status. */
export type RunResult =
  | { jobUid: string; phase: "succeeded"; outcome: PrepareOutcome }
  | { jobUid: string; phase: "failed"; reason: string; message: string };

function checked<T extends typeof PrepareOutcome | typeof PruneOutcome>(schema: T, data: unknown): Static<T> {
  const clean = Value.Clean(schema, structuredClone(data));
  if (!Value.Check(schema, clean)) {
    const e = Value.Errors(schema, clean).First();
    throw new ReportRejected(`bad DataSet result at ${e?.path || "/"}: ${e?.message ?? "invalid"}`, 400);
  }
  return clean as Static<T>;
}

export const outcomeOf = (data: unknown): PrepareOutcome => checked(PrepareOutcome, data);
export const pruneOutcomeOf = (data: unknown): PruneOutcome => checked(PruneOutcome, data);
