// ErasureRequest: one data subject's (or several subjects') erasure from a DataSet's versions and the models trained
// on them (GDPR art. 17). A record with its own lifecycle: its spec never changes, its status is what a DPO keeps.
import { type Static, Type } from "@sinclair/typebox";
import { Obj, StringEnum } from "../schema.js";
import { Conditions, LocalObjectReference, ObservedGeneration, VaultSecretRef } from "./common.js";

const Digest = (description: string) => Type.String({ description, pattern: "^sha256:[0-9a-f]{64}$", maxLength: 71 });

export const ErasureRequestSpec = Obj(
  {
    dataSetRef: LocalObjectReference,
    subjects: Obj(
      {
        vaultSecret: VaultSecretRef,
      },
      {
        description:
          "Where the subjects' key values are: a Vault KV v2 secret whose key holds them, one per line. Only the erase pod reads them; they never appear in a spec, a status, an Event or a log.",
      },
    ),
    reason: Type.Optional(
      Type.String({ description: "Free text for the record, e.g. the ticket of the request.", maxLength: 256 }),
    ),
  },
  {
    description: "Desired state of an ErasureRequest: which DataSet, and where the subjects' keys are.",
    rules: [
      {
        rule: "self == oldSelf",
        message: "an ErasureRequest is a record: its spec cannot change; create a new ErasureRequest instead",
      },
    ],
  },
);

const Version = Type.String({ description: "First 12 hex digits of the version's digest.", maxLength: 12 });

export const ErasureRequestStatus = Obj(
  {
    observedGeneration: Type.Optional(ObservedGeneration),
    conditions: Type.Optional(Conditions),
    rowsFound: Type.Optional(
      Type.Integer({ description: "Rows of the subjects found, all versions together.", format: "int64" }),
    ),
    versionsRewritten: Type.Optional(
      Type.Integer({ description: "Versions rewritten without the subjects' rows.", format: "int64" }),
    ),
    found: Type.Optional(
      Type.Array(
        Obj(
          {
            version: Version,
            digest: Digest("sha256 of the version's manifest.json."),
            rows: Type.Integer({ description: "Rows of the subjects in it.", format: "int64" }),
          },
          { description: "A version that held rows of the subjects." },
        ),
        { description: "The versions whose subject index matched, and how many rows.", maxItems: 100 },
      ),
    ),
    rewritten: Type.Optional(
      Type.Array(
        Obj(
          {
            from: Digest("The version that held the rows."),
            to: Digest("The new version without them (same split membership, same fitted preprocessing)."),
            rows: Type.Integer({ description: "Rows the new version holds.", format: "int64" }),
          },
          { description: "One version rewritten without the subjects' rows." },
        ),
        { description: "Every version rewritten, old and new digest.", maxItems: 100 },
      ),
    ),
    shredded: Type.Optional(
      Type.Array(
        Obj(
          {
            version: Version,
            digest: Digest("The version deleted (its data key destroyed where the key store has it)."),
            keyId: Type.Optional(
              Type.String({ description: "Id of the version's data key destroyed.", maxLength: 64 }),
            ),
          },
          { description: "A version deleted because it held the subjects' rows." },
        ),
        { description: "The superseded versions deleted from storage.", maxItems: 100 },
      ),
    ),
    notIndexed: Type.Optional(
      Type.Array(Digest("A version without a subject index."), {
        description:
          "Versions that have no subject index (prepared before spec.privacy was set) and so could not be checked: the request is Incomplete while any is listed.",
        maxItems: 100,
      }),
    ),
    flagged: Type.Optional(
      Type.Array(
        Obj(
          {
            kind: StringEnum(["TrainingJob", "ModelDeployment"] as const, { description: "Kind of the object." }),
            name: Type.String({ description: "Its name (same namespace).", maxLength: 253 }),
          },
          { description: "An object whose condition ErasurePending names this request." },
        ),
        {
          description:
            "TrainingJobs trained on a rewritten version, and ModelDeployments serving them: each shows ErasurePending.",
          maxItems: 256,
        },
      ),
    ),
    retrained: Type.Optional(
      Type.Array(
        Obj(
          {
            trainingJob: Type.String({ description: "The TrainingJob trained on the old version.", maxLength: 253 }),
            retrainedAs: Type.String({
              description: "The TrainingJob this request made on the new version.",
              maxLength: 253,
            }),
            from: Digest("The version the old model was trained on."),
            to: Type.Optional(Digest("The version the new model was trained on, once it trained.")),
            model: Type.Optional(Digest("The new model's digest, once it trained.")),
          },
          { description: "One retrain (spec.privacy.onErasure: Retrain on the DataSet)." },
        ),
        { description: "The retrains this request made.", maxItems: 100 },
      ),
    ),
  },
  {
    description: "Observed state of an ErasureRequest: the record of what was found, rewritten, shredded and flagged.",
  },
);

export type ErasureRequestSpec = Static<typeof ErasureRequestSpec>;
export type ErasureRequestStatus = Static<typeof ErasureRequestStatus>;
