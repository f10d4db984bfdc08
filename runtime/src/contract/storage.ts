// Object storage (s3://) as the operator and the runtime both spell it: the CRDs' `spec.storage` block and the pod
// environment the operator builds from it (pure). Pods get the AWS SDK's own variable names (AWS_ENDPOINT_URL_S3,
// AWS_REGION), so `liftoff-runtime serve --model-uri s3://…` behaves the same in a pod and on a laptop configured
// for the AWS CLI; only the Vault path of the keys is Liftoff's own (the keys never enter a manifest or a Secret:
// the pod reads them with its own Vault identity).
import { podEnv } from "./pod-env.js";

/** spec.storage of a DataSet, TrainingJob or ModelDeployment: how its pods reach the s3:// URIs it names. */
export interface ObjectStorageSpec {
  /** S3-compatible endpoint (MinIO, SeaweedFS, Ceph RGW): path-style addressing. Unset: AWS S3 of `region`. */
  endpoint?: string;
  /** Signing region (default us-east-1; SeaweedFS and MinIO accept any). */
  region?: string;
  /** Unset: the pod's own AWS credential chain (web identity / IRSA, shared config, instance metadata). */
  credentials?: {
    /** A Vault KV v2 secret with accessKeyId, secretAccessKey and optionally sessionToken (static keys). */
    vaultKV?: { path: string };
    /** A Vault/OpenBao AWS secrets engine credentials path (e.g. aws/creds/<role>): short-lived keys per pod. */
    vaultAWS?: { path: string };
  };
}

/** Entries of the KV secret `credentials.vaultKV.path` names. */
export const S3_KV_KEYS = {
  accessKeyId: "accessKeyId",
  secretAccessKey: "secretAccessKey",
  sessionToken: "sessionToken",
} as const;

/** The AWS SDK's standard variables the runtime reads (it reads AWS_ENDPOINT_URL too, as the SDK does). */
export const AWS_ENV = {
  endpointS3: "AWS_ENDPOINT_URL_S3",
  endpoint: "AWS_ENDPOINT_URL",
  region: "AWS_REGION",
} as const;

export const DEFAULT_S3_REGION = "us-east-1";

/** Whether the pods of an object with this storage must log in to Vault for their S3 keys. */
export function storageNeedsVault(storage: ObjectStorageSpec | undefined): boolean {
  return storage?.credentials?.vaultKV !== undefined || storage?.credentials?.vaultAWS !== undefined;
}

/** The env entries a pod that reads or writes s3:// gets from spec.storage (none when storage is unset). */
export function storagePodEnv(storage: ObjectStorageSpec | undefined): { name: string; value: string }[] {
  if (storage === undefined) return [];
  return [
    ...(storage.endpoint ? [{ name: AWS_ENV.endpointS3, value: storage.endpoint }] : []),
    { name: AWS_ENV.region, value: storage.region ?? DEFAULT_S3_REGION },
    ...(storage.credentials?.vaultKV ? [podEnv("s3VaultKvPath", storage.credentials.vaultKV.path)] : []),
    ...(storage.credentials?.vaultAWS ? [podEnv("s3VaultAwsPath", storage.credentials.vaultAWS.path)] : []),
  ];
}
