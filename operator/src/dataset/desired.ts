// The objects a DataSet owns (pure): its own ServiceAccount (no API token mounted: the pod calls no Kubernetes API),
// and the prepare Job of the current generation running `liftoff-runtime prepare` with the restricted pod security
// profile, the output claim, the source claim read-only, scratch space, and the report channel's token and env.
import type { DataSet } from "../api/v1alpha1/index.js";
import type { DesiredObject } from "../children/child.js";
import { egressEnv } from "../children/egress-env.js";
import { DATASET_DEFAULTS } from "../contract/dataset.js";
import { POD_ENV, podEnv } from "../contract/pod-env.js";
import { storageNeedsVault, storagePodEnv } from "../contract/storage.js";
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from "../kube/pod-security.js";
import { controllerReference, RESOURCES } from "../kube/resources.js";
import type { KubeObject, OwnerReference } from "../kube/types.js";
import { type ReportSettings, reportPodParts } from "../report/pod-spec.js";
import { type VaultSettings, withVaultIdentity } from "../vault/pod-identity.js";
import { capturedPodParts, type ResolvedCapture } from "./captured.js";
import { ANNOTATION_GENERATION, CONTAINER, dataSetLabels, dataSetNames } from "./names.js";

const OUTPUT_ROOT = "/data/output";
const SOURCE_ROOT = "/data/source";
const DEFAULT_RESOURCES = { cpu: "1", memory: "1Gi" };
/** Exit code of `prepare` for failures a retry cannot fix (runtime/src/prepare/command.ts EXIT_PERMANENT). */
const EXIT_PERMANENT = 3;
const BACKOFF_LIMIT = 3;
/** How long a prepare (or cleanup) Job may run, all retries together, before the Job controller fails it. */
const ACTIVE_DEADLINE_SECONDS = 6 * 60 * 60;
/**
 * Local disk a prepare pod may fill: its scratch (downloads, DuckDB's spill) and /tmp, each capped by a sizeLimit,
 * and the container's ephemeral-storage (both volumes plus 1Gi of logs) so a runaway run is evicted, not the node
 * filled. The request stays small: the caps bound the worst case, they are not what a run usually uses.
 */
const SCRATCH_SIZE_LIMIT = "20Gi";
const TMP_SIZE_LIMIT = "1Gi";
const EPHEMERAL_STORAGE = { request: "1Gi", limit: "22Gi" };

function ownerReference(ds: DataSet): OwnerReference {
  return controllerReference(RESOURCES.DataSet, ds);
}

function meta(ds: DataSet, name: string, annotations?: Record<string, string>) {
  return {
    name,
    ...(ds.metadata?.namespace ? { namespace: ds.metadata.namespace } : {}),
    labels: dataSetLabels(ds.metadata?.name ?? ""),
    ...(annotations ? { annotations } : {}),
    ownerReferences: [ownerReference(ds)],
  };
}

export function serviceAccount(ds: DataSet): DesiredObject {
  return {
    resource: RESOURCES.ServiceAccount,
    object: {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: meta(ds, dataSetNames(ds.metadata?.name ?? "").serviceAccount),
      automountServiceAccountToken: false,
    },
  };
}

export interface JobOptions {
  runtimeImage: string;
  report?: ReportSettings | undefined;
  /** Where pods find Vault; the pod gets a Vault identity only when its spec needs a secret or a key. */
  vault?: VaultSettings | undefined;
  /** The operator's --egress-allow, for the prepare pod of an http source. */
  egressAllow?: string | undefined;
  /** source.captured resolved from its ModelDeployment (captured.ts); prepare Jobs only. */
  captured?: ResolvedCapture | undefined;
}

/** The Vault role the prepare pod logs in as. */
export const vaultRole = (ds: DataSet) => ds.spec.encryption?.vaultRole ?? DATASET_DEFAULTS.encryptionVaultRole;

/** Whether the spec reads anything from Vault: a postgres DSN, a hashPII salt, a transit data key or S3 keys. */
export function needsVault(ds: DataSet): boolean {
  return (
    ds.spec.source.postgres !== undefined ||
    ds.spec.encryption !== undefined ||
    ds.spec.privacy?.saltSecret !== undefined ||
    (ds.spec.transforms ?? []).some((t) => t.type === "hashPII") ||
    (usesS3(ds) && storageNeedsVault(ds.spec.storage))
  );
}

/** Whether the prepare pod reads or writes s3:// (its source or its output). */
const usesS3 = (ds: DataSet) => ds.spec.source.s3 !== undefined || ds.spec.output.uri !== undefined;

/**
 * Whether the pod logs in to Vault: what needsVault says, or captured traffic (its versions may be encrypted with a
 * transit key the pod unwraps; whether they are is only known when they are read, so it never blocks the Job).
 */
const logsInToVault = (ds: DataSet, captured: ResolvedCapture | undefined) => needsVault(ds) || captured !== undefined;

/**
 * The pod template shared by the prepare and the cleanup Job (and an ErasureRequest's erase Job, which runs as the
 * DataSet's pod too); `args` after the image's entrypoint.
 */
export function jobObject(
  ds: DataSet,
  name: string,
  args: string[],
  o: JobOptions,
  env: KubeObject[] = [],
  /** The pod reads Vault whatever the spec needs (an erase pod reads the subjects there). */
  vaultAlways = false,
): DesiredObject["object"] {
  let extraEnv = env;
  const spec = ds.spec;
  const res = { ...DEFAULT_RESOURCES, ...spec.resources };
  const report = o.report ? reportPodParts(o.report) : undefined;
  // An s3:// output mounts no claim: the version is staged in scratch and uploaded (runtime/src/prepare/s3-output.ts).
  const volumes: KubeObject[] = [
    ...(spec.output.claimName ? [{ name: "output", persistentVolumeClaim: { claimName: spec.output.claimName } }] : []),
    { name: "scratch", emptyDir: { sizeLimit: SCRATCH_SIZE_LIMIT } },
    { name: "tmp", emptyDir: { sizeLimit: TMP_SIZE_LIMIT } },
  ];
  const mounts: KubeObject[] = [
    ...(spec.output.claimName ? [{ name: "output", mountPath: OUTPUT_ROOT }] : []),
    { name: "scratch", mountPath: "/scratch" },
    { name: "tmp", mountPath: "/tmp" },
  ];
  if (spec.source.pvc) {
    volumes.push({ name: "source", persistentVolumeClaim: { claimName: spec.source.pvc.claimName, readOnly: true } });
    mounts.push({ name: "source", mountPath: SOURCE_ROOT, readOnly: true });
  }
  if (o.captured) {
    // A claim the pod already mounts is read there: one claim is never mounted twice in a pod.
    const mounted: Record<string, string> = {};
    if (spec.source.pvc) mounted[spec.source.pvc.claimName] = SOURCE_ROOT;
    if (spec.output.claimName) mounted[spec.output.claimName] = OUTPUT_ROOT;
    const parts = capturedPodParts(o.captured, mounted);
    extraEnv = [...extraEnv, parts.env];
    if (parts.claim) {
      volumes.push(parts.claim.volume);
      mounts.push(parts.claim.mount);
    }
  }
  // The capture's store when the DataSet has none of its own (captured.ts refuses two different ones).
  const storage = usesS3(ds) ? spec.storage : o.captured?.storage;
  if (report) {
    volumes.push(report.volume);
    mounts.push(report.volumeMount);
  }
  const generation = String(ds.metadata?.generation ?? 0);
  const podSpec = {
    restartPolicy: "Never",
    serviceAccountName: dataSetNames(ds.metadata?.name ?? "").serviceAccount,
    automountServiceAccountToken: false,
    securityContext: RESTRICTED_POD_SECURITY,
    containers: [
      {
        name: CONTAINER,
        image: o.runtimeImage,
        args,
        env: [
          ...extraEnv,
          // Where the version keys are in Vault KV (secret/data/<namespace>/liftoff-datakeys/<name>/<keyId>).
          podEnv("dataSet", `${ds.metadata?.namespace ?? ""}/${ds.metadata?.name ?? ""}`),
          ...storagePodEnv(storage),
          podEnv("scratch", "/scratch"),
          {
            name: POD_ENV.memoryLimit.name,
            valueFrom: { resourceFieldRef: { containerName: CONTAINER, resource: "limits.memory" } },
          },
          {
            name: POD_ENV.cpuLimit.name,
            valueFrom: { resourceFieldRef: { containerName: CONTAINER, resource: "limits.cpu" } },
          },
          ...(report?.env ?? []),
        ],
        resources: {
          requests: { ...res, "ephemeral-storage": EPHEMERAL_STORAGE.request },
          limits: { ...res, "ephemeral-storage": EPHEMERAL_STORAGE.limit },
        },
        securityContext: RESTRICTED_CONTAINER_SECURITY,
        volumeMounts: mounts,
        terminationMessagePolicy: "FallbackToLogsOnError",
      },
    ],
    volumes,
  };
  const pod =
    o.vault && (vaultAlways || logsInToVault(ds, o.captured))
      ? withVaultIdentity(podSpec as never, o.vault, vaultRole(ds))
      : podSpec;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: meta(ds, name, { [ANNOTATION_GENERATION]: generation }),
    spec: {
      backoffLimit: BACKOFF_LIMIT,
      activeDeadlineSeconds: ACTIVE_DEADLINE_SECONDS,
      // Bad data or spec fails the Job at once; only failures that may pass later (network, Vault) are retried,
      // with the Job controller's exponential back-off (10 s, 20 s, 40 s …), never hot-looped.
      podFailurePolicy: {
        rules: [
          {
            action: "FailJob",
            onExitCodes: { containerName: CONTAINER, operator: "In", values: [EXIT_PERMANENT] },
          },
        ],
      },
      template: {
        metadata: {
          labels: dataSetLabels(ds.metadata?.name ?? ""),
          annotations: { [ANNOTATION_GENERATION]: generation },
        },
        spec: pod,
      },
    },
  };
}

/** Where prepare writes: the output folder on the mounted claim, or the s3:// prefix. */
export const outDir = (ds: DataSet) => ds.spec.output.uri ?? `${OUTPUT_ROOT}/${ds.spec.output.path}`;

/** The URI of the DataSet's output folder, as status.output and TrainingJobs name it (no trailing slash). */
export function outputUri(ds: DataSet): string {
  const o = ds.spec.output;
  return (o.uri ?? `pvc://${o.claimName}/${o.path}`).replace(/\/+$/, "");
}

/** `inUse`: versions (hex digests) something still reads, which pruning keeps (in-use.ts). */
export function prepareJob(ds: DataSet, o: JobOptions, inUse: readonly string[] = []): DesiredObject {
  const name = dataSetNames(ds.metadata?.name ?? "").prepareJob(ds.metadata?.generation ?? 0);
  // The spec travels in the Job itself (it is already in the DataSet object; it holds no secret, only Vault paths).
  const env = [podEnv("dataSetSpec", JSON.stringify(ds.spec)), podEnv("sourceRoot", SOURCE_ROOT)];
  if (inUse.length > 0) env.push(podEnv("keepVersions", inUse.join(",")));
  env.push(...egressEnv(o.egressAllow, [ds.spec.source.http?.url]));
  return { resource: RESOURCES.Job, object: jobObject(ds, name, ["prepare", "--out", outDir(ds)], o, env) };
}

/** How long a finished prune Job stays (its report is in the status by then; a failed one is retried after). */
const PRUNE_JOB_TTL_SECONDS = 600;

/**
 * The Job that shreds versions past retention.maxAge between generations (`prepare --prune`, under the DataSet's
 * Vault identity): `drop` are the versions due (its name), `inUse` those kept whatever their age.
 */
export function pruneJob(ds: DataSet, o: JobOptions, drop: readonly string[], inUse: readonly string[]): DesiredObject {
  const name = dataSetNames(ds.metadata?.name ?? "").pruneJob(drop);
  const env = [podEnv("dataSetSpec", JSON.stringify(ds.spec))];
  const keep = [...new Set([...(ds.status?.digest ? [ds.status.digest.replace(/^sha256:/, "")] : []), ...inUse])];
  if (keep.length > 0) env.push(podEnv("keepVersions", keep.join(",")));
  const job = jobObject(ds, name, ["prepare", "--prune", "--out", outDir(ds)], o, env);
  (job.spec as Record<string, unknown>).ttlSecondsAfterFinished = PRUNE_JOB_TTL_SECONDS;
  return { resource: RESOURCES.Job, object: job };
}

/** The finalizer's Job: shreds every version (its data key in Vault KV, then its files) from the output. */
export function cleanupJob(ds: DataSet, o: JobOptions): DesiredObject {
  const name = dataSetNames(ds.metadata?.name ?? "").cleanupJob;
  const job = jobObject(ds, name, ["prepare", "--delete", "--out", outDir(ds)], o);
  return { resource: RESOURCES.Job, object: job };
}
