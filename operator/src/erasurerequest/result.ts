// What an erase pod reported, checked (it is untrusted input) against the contract's shape (contract/erasure.ts).
import { Type } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import type { ErasureOutcome } from "../contract/erasure.js";
import { ReportRejected } from "../report/identity.js";

const Digest = Type.String({ pattern: "^sha256:[0-9a-f]{64}$" });
const Count = Type.Integer({ minimum: 0 });

const Outcome = Type.Object({
  found: Type.Array(Type.Object({ digest: Digest, rows: Count }), { maxItems: 100 }),
  rewritten: Type.Array(Type.Object({ from: Digest, to: Digest, rows: Count }), { maxItems: 100 }),
  shredded: Type.Array(Type.Object({ digest: Digest, keyId: Type.Optional(Type.String({ maxLength: 64 })) }), {
    maxItems: 100,
  }),
  notIndexed: Type.Array(Digest, { maxItems: 100 }),
});

export function erasureOutcomeOf(data: unknown): ErasureOutcome {
  const clean = Value.Clean(Outcome, structuredClone(data));
  if (!Value.Check(Outcome, clean)) {
    const e = Value.Errors(Outcome, clean).First();
    throw new ReportRejected(`bad ErasureRequest result at ${e?.path || "/"}: ${e?.message ?? "invalid"}`, 400);
  }
  return clean as ErasureOutcome;
}
