// source.captured (pure): which capture root a DataSet reads — the named ModelDeployment's spec.capture.uri, with
// that ModelDeployment's spec.storage for s3:// — and what the prepare pod needs to read it: the claim mounted
// read-only (or the mount the pod already has of that claim), or the s3 env, and LIFTOFF_CAPTURED_SOURCE.
import type { DataSet, ModelDeployment } from "../api/v1alpha1/index.js";
import type { CapturedSourceEnv } from "../contract/dataset.js";
import { parseModelUri } from "../contract/model-uri.js";
import { podEnv } from "../contract/pod-env.js";
import type { ObjectStorageSpec } from "../contract/storage.js";
import type { KubeObject } from "../kube/types.js";
import { Reason } from "../reasons.js";
import { stableStringify } from "../util/stable-json.js";

/** The capture a DataSet reads, as resolved from its ModelDeployment. */
export interface ResolvedCapture {
  modelDeployment: string;
  /** spec.capture.uri: pvc://claim/path or s3://bucket/prefix. */
  uri: string;
  /** The ModelDeployment's spec.storage (s3:// only). */
  storage?: ObjectStorageSpec | undefined;
}

export type CaptureResolution =
  | { capture: ResolvedCapture; blocked?: undefined }
  | { capture?: undefined; blocked: { reason: string; message: string } };

/**
 * The capture of source.captured's ModelDeployment, or why there is none (reason CaptureSourceNotFound). Undefined
 * when the DataSet reads no captured traffic.
 */
export function resolveCapture(
  ds: DataSet,
  find: (namespace: string, name: string) => ModelDeployment | undefined,
): CaptureResolution | undefined {
  const ref = ds.spec.source.captured?.modelDeploymentRef.name;
  if (ref === undefined) return undefined;
  const mdep = find(ds.metadata?.namespace ?? "", ref);
  const notFound = (message: string) => ({ blocked: { reason: Reason.CaptureSourceNotFound, message } });
  if (!mdep) {
    return notFound(
      `source.captured names ModelDeployment ${ref}, which does not exist in this namespace; create it (with spec.capture) or fix modelDeploymentRef`,
    );
  }
  const uri = mdep.spec.capture?.uri;
  if (!uri) {
    return notFound(
      `ModelDeployment ${ref} captures no traffic (it has no spec.capture); set spec.capture.uri on it, or remove source.captured`,
    );
  }
  const kind = parseModelUri(uri).location.kind;
  if (kind !== "pvc" && kind !== "s3") {
    return notFound(`ModelDeployment ${ref}'s spec.capture.uri ${uri} is neither pvc:// nor s3://`);
  }
  if (
    kind === "s3" &&
    usesS3Itself(ds) &&
    stableStringify(ds.spec.storage ?? {}) !== stableStringify(mdep.spec.storage ?? {})
  ) {
    // One pod has one set of AWS_* variables: both stores must be reached the same way.
    return {
      blocked: {
        reason: Reason.InvalidSpec,
        message: `the DataSet's spec.storage differs from ModelDeployment ${ref}'s, whose capture it reads from s3://; a prepare pod reaches one store configuration: make them equal`,
      },
    };
  }
  return { capture: { modelDeployment: ref, uri, ...(kind === "s3" ? { storage: mdep.spec.storage } : {}) } };
}

/** Whether the DataSet's own source or output is in object storage. */
const usesS3Itself = (ds: DataSet) => ds.spec.source.s3 !== undefined || ds.spec.output.uri !== undefined;

/** Where the prepare pod mounts a capture claim it does not already mount. */
const CAPTURED_ROOT = "/data/captured";

/** The claims the prepare pod already mounts, and where (mounting one claim twice in a pod is avoided). */
export interface MountedClaims {
  [claim: string]: string;
}

/**
 * The pod parts of a resolved capture: the env entry (LIFTOFF_CAPTURED_SOURCE) and, for a claim the pod does not
 * mount yet, a read-only volume and mount.
 */
export function capturedPodParts(
  c: ResolvedCapture,
  mounted: MountedClaims,
): { env: { name: string; value: string }; claim?: { volume: KubeObject; mount: KubeObject } } {
  const parsed = parseModelUri(c.uri).location;
  let root = c.uri;
  let claim: { volume: KubeObject; mount: KubeObject } | undefined;
  if (parsed.kind === "pvc") {
    const at = mounted[parsed.claim];
    root = `${at ?? CAPTURED_ROOT}/${parsed.path}`.replace(/\/+$/, "");
    if (at === undefined) {
      claim = {
        volume: { name: "captured", persistentVolumeClaim: { claimName: parsed.claim, readOnly: true } },
        mount: { name: "captured", mountPath: CAPTURED_ROOT, readOnly: true },
      };
    }
  }
  const value: CapturedSourceEnv = { modelDeployment: c.modelDeployment, uri: c.uri, root };
  return { env: podEnv("capturedSource", JSON.stringify(value)), ...(claim ? { claim } : {}) };
}
