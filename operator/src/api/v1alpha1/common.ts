// Types shared by the three Liftoff kinds.
import { Type } from "@sinclair/typebox";
import { k8s, Obj, ObjectName, Quantity, StringEnum, StringMap } from "../schema.js";

export const GROUP = "liftoff.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** metav1.Condition, as kstatus and `kubectl wait --for=condition=Ready` expect it. */
const Condition = Obj(
  {
    type: Type.String({
      description: "Type of condition in CamelCase, e.g. Ready, Reconciling, Stalled.",
      maxLength: 316,
      pattern:
        "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
    }),
    status: StringEnum(["True", "False", "Unknown"] as const, { description: "Status of the condition." }),
    observedGeneration: Type.Optional(
      Type.Integer({
        description: "The .metadata.generation the condition was set from.",
        minimum: 0,
        format: "int64",
      }),
    ),
    lastTransitionTime: Type.String({
      description: "Last time the condition changed from one status to another.",
      format: "date-time",
    }),
    reason: Type.String({
      description: "Programmatic identifier in CamelCase for the condition's last transition.",
      minLength: 1,
      maxLength: 1024,
      pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
    }),
    message: Type.String({ description: "Human-readable details about the transition.", maxLength: 32768 }),
  },
  { description: "A metav1.Condition: one aspect of the resource's current state." },
);

export const Conditions = Type.Array(Condition, {
  description:
    "Current state, as metav1.Condition entries keyed by type (Ready, plus Reconciling/Stalled while they apply).",
  maxItems: 16,
  "x-kubernetes-list-type": "map",
  "x-kubernetes-list-map-keys": ["type"],
});

export const ObservedGeneration = Type.Integer({
  description:
    "The .metadata.generation this status was computed from; equal to generation once the spec is processed.",
  minimum: 0,
  format: "int64",
});

export const LocalObjectReference = Obj(
  { name: ObjectName({ description: "Name of the referenced object in the same namespace." }) },
  { description: "A reference to an object in the same namespace." },
);

/** A place on a PersistentVolumeClaim: how Liftoff passes data and models between pods. */
export const VolumeLocation = Obj(
  {
    claimName: ObjectName({ description: "Name of a PersistentVolumeClaim in the same namespace." }),
    path: Type.String(
      k8s({
        description: "Relative path inside the volume (no leading slash, no '..').",
        maxLength: 1024,
        pattern: "^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$",
        rules: [{ rule: "!self.split('/').exists(p, p == '..')", message: "path must not contain '..' segments" }],
      }),
    ),
  },
  { description: "A folder or file on a PersistentVolumeClaim." },
);

/** A secret kept in Vault (never in the manifest): the operator passes only the reference to pods. */
export const VaultSecretRef = Obj(
  {
    path: Type.String({
      description: "Path of a Vault KV v2 secret, e.g. 'secret/data/team-a/postgres'.",
      minLength: 1,
      maxLength: 512,
      pattern: "^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
    }),
    key: Type.String({ description: "Key inside the secret's data holding the value.", minLength: 1, maxLength: 253 }),
  },
  {
    description: "A reference to a value stored in HashiCorp Vault (or OpenBao); the value never appears in manifests.",
  },
);

const Toleration = Obj(
  {
    key: Type.Optional(Type.String({ description: "Taint key the toleration applies to; empty matches all keys." })),
    operator: Type.Optional(
      StringEnum(["Exists", "Equal"] as const, { description: "Relation between key and value.", default: "Equal" }),
    ),
    value: Type.Optional(Type.String({ description: "Taint value the toleration matches (with operator Equal)." })),
    effect: Type.Optional(
      StringEnum(["NoSchedule", "PreferNoSchedule", "NoExecute"] as const, {
        description: "Taint effect to match; empty matches all effects.",
      }),
    ),
    tolerationSeconds: Type.Optional(
      Type.Integer({ description: "How long a NoExecute taint is tolerated before eviction.", format: "int64" }),
    ),
  },
  { description: "A core/v1 Toleration." },
);

export const Scheduling = {
  nodeSelector: Type.Optional(StringMap({ description: "Node labels the pods must match (core/v1 nodeSelector)." })),
  tolerations: Type.Optional(
    Type.Array(Toleration, {
      description:
        "Taints the pods tolerate. The nvidia.com/gpu taint is tolerated automatically when GPUs are requested.",
      maxItems: 32,
    }),
  ),
};

export const ComputeResources = Obj(
  {
    gpu: Type.Integer({
      description: "Number of nvidia.com/gpu devices per pod (0 runs on CPU).",
      minimum: 0,
      maximum: 16,
      default: 0,
    }),
    cpu: Type.Optional(Quantity({ description: "CPU request and limit per pod, e.g. '500m' or 2." })),
    memory: Type.Optional(Quantity({ description: "Memory request and limit per pod, e.g. '1Gi'." })),
  },
  { description: "Compute resources for each pod." },
);

/** A bucket name as CEL matches it: 3-63 lowercase letters, digits, dots and dashes. */
const S3_BUCKET_RE = "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]";

/**
 * An s3://bucket/key URI (`object`: a DataSet source, the key is required) or s3://bucket/prefix (`prefix`: an output
 * folder). The scheme is checked by a CEL rule rather than a pattern, so a URI of another scheme is refused with a
 * message that says what to write.
 */
export function S3Uri(description: string, what: string, names: "object" | "prefix") {
  const re = names === "object" ? `${S3_BUCKET_RE}/[^\\\\s]+$` : `${S3_BUCKET_RE}(/[^\\\\s]*)?$`;
  const form = names === "object" ? "s3://<bucket>/<key>" : "s3://<bucket>/<prefix>";
  return Type.String(
    k8s({
      description,
      minLength: 1,
      maxLength: 1024,
      rules: [
        {
          rule: `self.matches('${re}')`,
          message: `${what} must be an s3:// URI, ${form}, with a 3-63 character lowercase bucket name and no spaces`,
        },
        { rule: "!self.split('/').exists(p, p == '..')", message: `${what} must not contain '..' segments` },
      ],
    }),
  );
}

const VaultPath = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 512, pattern: "^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$" });

/**
 * How pods reach the s3:// URIs an object names (runtime/src/contract/storage.ts spells the same shape): an endpoint
 * and region, and where in Vault the keys are. No keys in the spec and no Kubernetes Secret: the pod reads them with
 * its own Vault identity.
 */
export const ObjectStorage = Obj(
  {
    endpoint: Type.Optional(
      Type.String({
        description:
          "S3-compatible endpoint, e.g. http://seaweedfs.storage.svc:8333 or https://minio.example:9000 (path-style addressing). Unset: AWS S3 in `region`.",
        maxLength: 2048,
        pattern: "^https?://[^\\s/]+(/[^\\s]*)?$",
      }),
    ),
    region: Type.Optional(
      Type.String({
        description: "Signing region (default us-east-1; SeaweedFS and MinIO accept any).",
        minLength: 1,
        maxLength: 64,
        pattern: "^[a-z0-9-]+$",
      }),
    ),
    credentials: Type.Optional(
      Obj(
        {
          vaultKV: Type.Optional(
            Obj(
              {
                path: VaultPath(
                  "Vault KV v2 secret with accessKeyId, secretAccessKey and optionally sessionToken, e.g. 'secret/data/team-a/s3'.",
                ),
              },
              { description: "Static keys kept in Vault's KV engine." },
            ),
          ),
          vaultAWS: Type.Optional(
            Obj(
              {
                path: VaultPath(
                  "Credentials path of Vault's or OpenBao's AWS secrets engine, e.g. 'aws/creds/reader'.",
                ),
              },
              { description: "Short-lived keys issued per pod by the AWS secrets engine." },
            ),
          ),
        },
        {
          description:
            "Where the pod's S3 keys come from: exactly one of vaultKV or vaultAWS. Unset: the pod's own AWS credential chain (web identity, instance role).",
          rules: [
            { rule: "has(self.vaultKV) != has(self.vaultAWS)", message: "set exactly one of vaultKV or vaultAWS" },
          ],
        },
      ),
    ),
  },
  { description: "Object storage (s3://) settings of this object's pods; docs/storage.md." },
);
