// The one catalogue of reasons a prepare run fails with; the operator copies reason and message into the DataSet's
// Failed and Ready conditions, so every message says what is wrong and what to change.
import { EgressReason } from "../contract/egress.js";
import { StorageReason } from "../contract/storage-reasons.js";
import { VaultReason } from "../contract/vault-reasons.js";
import { StorageError } from "../storage/errors.js";

export const PrepareReason = {
  InvalidSpec: "InvalidSpec",
  SourceUnreachable: "SourceUnreachable",
  SourceTooLarge: "SourceTooLarge",
  ...EgressReason,
  QueryFailed: "QueryFailed",
  MalformedData: "MalformedData",
  SchemaMismatch: "SchemaMismatch",
  MissingValues: "MissingValues",
  TooFewRows: "TooFewRows",
  TargetHasOneClass: "TargetHasOneClass",
  PIINotProtected: "PIINotProtected",
  ...VaultReason,
  OutputNotWritable: "OutputNotWritable",
  NoSpace: "NoSpace",
  ...StorageReason,
} as const;

export type PrepareReasonName = (typeof PrepareReason)[keyof typeof PrepareReason];

export class PrepareError extends Error {
  override name = "PrepareError";
  constructor(
    readonly reason: PrepareReasonName,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A full disk (DuckDB's "IO Error: … No space left on device", Node's ENOSPC) as `NoSpace`, naming what was being
 * written; undefined for any other error. Without it a full scratch volume read as MalformedData (the fault suite's
 * disk-full fault, docs/reliability.md).
 */
export function noSpaceError(err: unknown, doing: string): PrepareError | undefined {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const text = String(e?.message ?? "");
  if (e?.code !== "ENOSPC" && !/No space left on device|ENOSPC/i.test(text)) return undefined;
  const detail = text.split("\n")[0] ?? "";
  return new PrepareError(
    PrepareReason.NoSpace,
    `no space left on the volume while ${doing} (${detail}); the data does not fit the prepare pod's scratch or output space`,
  );
}

/** A storage-layer failure (an s3:// source or output) as the prepare reason of the same name; else undefined. */
export function storageFailure(err: unknown): PrepareError | undefined {
  if (!(err instanceof StorageError)) return undefined;
  return new PrepareError(err.reason, err.message.slice(err.reason.length + 2));
}
