// Where a pod's capture versions go: a claim's folder (pvc://, mounted below LIFTOFF_PVC_ROOT) or an object-store
// prefix (s3://, the pod's storage env). Both publish with the capture format module and prune by age and size.
import type { CaptureEncryption, CaptureVersion } from "../../capture/format.js";
import {
  pruneCaptureVersions,
  pruneCaptureVersionsS3,
  writeCaptureVersion,
  writeCaptureVersionS3,
} from "../../capture/format.js";
import type { StoreFor } from "../../model-s3.js";

export interface CaptureStore {
  /** pvc://… or s3://…, for messages. */
  readonly describe: string;
  publish(parquet: string, enc: CaptureEncryption | undefined, seq: number, now: Date): Promise<CaptureVersion>;
  /** Deletes versions past retention and this pod's oldest beyond maxBytes; returns this pod's bytes. */
  prune(now: Date): Promise<{ deleted: number; bytes: number }>;
}

export interface Limits {
  maxBytes: number;
  retentionHours: number;
}

export function localCaptureStore(uri: string, root: string, pod: string, limits: Limits): CaptureStore {
  return {
    describe: uri,
    publish: (parquet, enc, seq, now) => writeCaptureVersion(root, pod, parquet, enc, seq, now),
    prune: async (now) => {
      const r = await pruneCaptureVersions(root, pod, limits, now);
      return { deleted: r.deleted.length, bytes: r.bytes };
    },
  };
}

export function s3CaptureStore(
  uri: string,
  storeFor: StoreFor,
  location: { bucket: string; key: string },
  pod: string,
  limits: Limits,
  scratch: string,
): CaptureStore {
  const store = () => storeFor(location.bucket);
  return {
    describe: uri,
    publish: async (parquet, enc, seq, now) =>
      writeCaptureVersionS3(await store(), location.key, pod, parquet, enc, seq, scratch, now),
    prune: async (now) => {
      const r = await pruneCaptureVersionsS3(await store(), location.key, pod, limits, now);
      return { deleted: r.deleted.length, bytes: r.bytes };
    },
  };
}
