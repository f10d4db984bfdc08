// The one catalogue of reasons a prepare run fails with; the operator copies reason and message into the DataSet's
// Failed and Ready conditions, so every message says what is wrong and what to change.
import { EgressReason } from "../contract/egress.js";
import { VaultReason } from "../contract/vault-reasons.js";

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
