// DataSet status.access: who read each version's data key, from Vault's audit log (operator/src/access/,
// docs/vault.md "Access record"). Kept apart from dataset.ts: the access record is one concern of its own.
import { Type } from "@sinclair/typebox";
import { Obj } from "../schema.js";

const Time = (description: string) => Type.String({ description, maxLength: 40 });

const AccessReader = Obj(
  {
    serviceAccount: Type.Optional(
      Type.String({ description: "The service account Vault's Kubernetes auth logged in.", maxLength: 253 }),
    ),
    namespace: Type.Optional(Type.String({ description: "That service account's namespace.", maxLength: 63 })),
    identity: Type.Optional(
      Type.String({
        description: "Any other Vault login (a root or userpass token): Vault's display name.",
        maxLength: 253,
      }),
    ),
    pod: Type.Optional(
      Type.String({
        description:
          "The pod the caller named in its X-Liftoff-Pod header (the service account is what Vault verified).",
        maxLength: 253,
      }),
    ),
    reads: Type.Integer({ description: "Reads of the key by this reader.", format: "int64" }),
    lastRead: Time("When this reader last read the key."),
  },
  { description: "One reader of a version's data key." },
);

export const VersionAccess = Obj(
  {
    keyId: Type.String({
      description: "The version's data key id (manifest.json's encryption.keyId).",
      maxLength: 128,
    }),
    version: Type.Optional(
      Type.String({ description: "The version (12 hex) when status.versions names the key id.", maxLength: 12 }),
    ),
    reads: Type.Integer({
      description: "Times Vault handed out the key: decryptions of the version.",
      format: "int64",
    }),
    refused: Type.Optional(
      Type.Integer({
        description: "Times Vault refused it (denied, or no such key: a shredded version).",
        format: "int64",
      }),
    ),
    firstRead: Type.Optional(Time("First read in the audit log.")),
    lastRead: Type.Optional(Time("Last read.")),
    through: Time(
      "The audit time (nanoseconds) these counts go up to: the operator counts only later entries, so a log read again adds nothing.",
    ),
    readers: Type.Array(AccessReader, {
      description: "The most recent readers first (at most 10).",
      maxItems: 10,
    }),
  },
  { description: "The reads of one version's data key, from Vault's audit log." },
);

export const DataSetAccess = Type.Array(VersionAccess, {
  description:
    "Access record: every read of a version's data key (a decryption) as Vault's audit device logged it, per version, the most recently read first (at most 20). Needs the operator's --vault-audit-file or --vault-audit-listen.",
  maxItems: 20,
});
