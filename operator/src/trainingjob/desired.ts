// The objects a TrainingJob owns, as a pure function of it, its DataSet's version and the report settings: its own
// ServiceAccount (no RBAC: the pod reports through the operator's channel) and one batch/v1 Job with one pod.
// Everything in the pod template comes from fields that are immutable once created (the API's rules) or from the
// DataSet version pinned at creation, so later applies only touch the Job's mutable run policy fields.

import type { V1Container, V1EnvVar, V1Toleration, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { DataSet, TrainingJob } from "../api/v1alpha1/index.js";
import { child, type DesiredObject } from "../children/child.js";
import { egressEnv } from "../children/egress-env.js";
import { podEnv } from "../contract/pod-env.js";
import { type ObjectStorageSpec, storageNeedsVault, storagePodEnv } from "../contract/storage.js";
import type { Job, Pod, ServiceAccount } from "../kube/models.js";
import { RESTRICTED_CONTAINER_SECURITY, RESTRICTED_POD_SECURITY } from "../kube/pod-security.js";
import { controllerReference, RESOURCES } from "../kube/resources.js";
import type { ObjectMeta, OwnerReference, Wire } from "../kube/types.js";
import { type ReportSettings, reportPodParts } from "../report/pod-spec.js";
import { type VaultSettings, withVaultIdentity } from "../vault/pod-identity.js";
import { ANNOTATION_DATASET_DIGEST, CONTAINER, LABEL_TJ, PVC_ROOT, trainingLabels, trainingNames } from "./names.js";

const GPU = "nvidia.com/gpu";
const DEFAULT_RESOURCES = { cpu: "1", memory: "2Gi" };
/** The runtime's own progress interval (runtime/src/train/report.ts): no env var is needed for it. */
const DEFAULT_PROGRESS_INTERVAL_MS = 5000;
/** Exit codes of `train` that retrying cannot fix: 2 bad spec or data, 3 NaN loss (runtime/src/train/command.ts). */
export const NON_RETRIABLE_EXIT_CODES = [2, 3];
/**
 * Local disk a training pod may fill: /tmp capped by a sizeLimit, and the container's ephemeral-storage (/tmp plus
 * 1Gi of logs), so a runaway run is evicted rather than filling the node. The model and checkpoints go to the claim.
 */
const TMP_SIZE_LIMIT = "2Gi";
/** With s3:// data or output: the downloaded version, the model and the checkpoints are staged on scratch. */
const SCRATCH_SIZE_LIMIT = "20Gi";
const SCRATCH_DIR = "/scratch";
const EPHEMERAL_STORAGE = { request: "1Gi", limit: "3Gi", s3Limit: "23Gi" };

/** Where the pinned DataSet version lives: pvc://claim/path/<hex>, or s3://bucket/prefix/<hex>. */
export type DataVersion = {
  digest: string;
  /** Encrypted with a Vault transit key: the pod needs a Vault identity and a memory folder for the plaintext. */
  encrypted: boolean;
} & (
  | {
      claim: string;
      /** Path of the version folder inside the claim. */
      path: string;
    }
  | {
      /** The DataSet's output prefix, s3://bucket/prefix (the version folder is <base>/<hex>). */
      base: string;
      /** The DataSet's spec.storage (how its pods reach the bucket), the default of the TrainingJob's. */
      storage?: ObjectStorageSpec | undefined;
    }
);

/** The version folder's s3:// URI, for a version in object storage. */
const s3VersionUri = (data: DataVersion & { base: string }) => `${data.base}/${data.digest.replace(/^sha256:/, "")}`;

/** The DataSet's published version, or undefined when it has none yet. */
export function dataVersionOf(ds: DataSet | undefined): DataVersion | undefined {
  const digest = ds?.status?.digest;
  if (!ds || !digest) return undefined;
  const hex = digest.replace(/^sha256:/, "");
  const encrypted = ds.spec.encryption !== undefined;
  const o = ds.spec.output;
  if (o.uri !== undefined) {
    return { base: o.uri.replace(/\/+$/, ""), storage: ds.spec.storage, digest, encrypted };
  }
  const base = `${o.path}`.replace(/\/+$/, "");
  return { claim: o.claimName ?? "", path: `${base}/${hex}`, digest, encrypted };
}

/** Where the decrypted copy of an encrypted DataSet lives in the pod: a memory-backed emptyDir, never the claim. */
export const PLAIN_DIR = "/run/liftoff/plain";
const PLAIN_VOLUME = "plain";

/** Whether a live training Job was made for an encrypted DataSet (its pod template has the plaintext volume). */
export const jobReadsEncrypted = (job: Job): boolean => podReadsEncrypted(job.spec?.template?.spec);

/** Whether a training pod's spec has the plaintext volume (it was made for an encrypted DataSet). */
export const podReadsEncrypted = (pod: Pod["spec"] | undefined): boolean =>
  (pod?.volumes ?? []).some((v) => v.name === PLAIN_VOLUME);

/**
 * The version a live training Job reads, from its own pod template (the "data" claim and the --data argument), so
 * a run whose DataSet object is gone still knows where its data and its output are.
 */
export function jobDataVersion(job: Job): DataVersion | undefined {
  return podDataVersion(job.spec?.template?.spec);
}

/** The version a training pod's spec reads (a Job's template, or a pytorch worker pod). */
export function podDataVersion(pod: Pod["spec"] | undefined): DataVersion | undefined {
  const claim = pod?.volumes?.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName;
  const args = pod?.containers?.find((c) => c.name === CONTAINER)?.args ?? [];
  const arg = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const dir = arg("--data");
  const digest = arg("--data-digest");
  if (dir?.startsWith("s3://") && digest) {
    // The storage env of the template is what the pod uses; the DataSet's own spec.storage is not needed again.
    const base = dir.slice(0, dir.lastIndexOf("/"));
    return { base, digest, encrypted: podReadsEncrypted(pod) };
  }
  const prefix = `${PVC_ROOT}/${claim}/`;
  if (!claim || !dir?.startsWith(prefix) || !digest) return undefined;
  return { claim, path: dir.slice(prefix.length), digest, encrypted: podReadsEncrypted(pod) };
}

/** The Vault role the training pod logs in with: spec.vaultRole, else liftoff-<namespace>-<name>-train. */
export function trainingVaultRole(tj: TrainingJob): string {
  return tj.spec.vaultRole ?? `liftoff-${tj.metadata?.namespace ?? ""}-${tj.metadata?.name ?? ""}-train`;
}

export type OutputLocation = { claim: string; path: string } | { uri: string };

/**
 * Where the artifact goes: spec.output, or `models/<job>` next to the DataSet's versions (on its claim, or under its
 * s3:// prefix).
 */
export function outputOf(tj: TrainingJob, data: DataVersion): OutputLocation {
  const o = tj.spec.output;
  if (o?.uri !== undefined) return { uri: o.uri.replace(/\/+$/, "") };
  if (o?.claimName !== undefined) return { claim: o.claimName, path: o.path ?? "" };
  const models = `models/${tj.metadata?.name ?? ""}`;
  return "base" in data ? { uri: `${data.base}/${models}` } : { claim: data.claim, path: models };
}

/** The output folder's URI (status.model.uri is <this>/<hex>). */
export const outputUriOf = (out: OutputLocation) => ("uri" in out ? out.uri : `pvc://${out.claim}/${out.path}`);

/** The storage settings of the training pod: its own spec.storage, else its s3:// DataSet's. */
function trainingStorage(tj: TrainingJob, data: DataVersion): ObjectStorageSpec | undefined {
  return tj.spec.storage ?? ("base" in data ? data.storage : undefined);
}

/** Whether the training pod reads or writes s3:// (its data or its output). */
const trainingUsesS3 = (tj: TrainingJob, data: DataVersion) => "base" in data || "uri" in outputOf(tj, data);

/** Whether the training pod logs in to Vault: to unwrap an encrypted DataSet's key, or for its S3 keys. */
export const trainingNeedsVault = (tj: TrainingJob, data: DataVersion) =>
  data.encrypted || (trainingUsesS3(tj, data) && storageNeedsVault(trainingStorage(tj, data)));

function ownerReference(tj: TrainingJob): OwnerReference {
  return controllerReference(RESOURCES.TrainingJob, tj, { blockOwnerDeletion: true });
}

function meta(tj: TrainingJob, name: string, annotations?: Record<string, string>): ObjectMeta {
  return {
    name,
    ...(tj.metadata?.namespace ? { namespace: tj.metadata.namespace } : {}),
    labels: trainingLabels(tj.metadata?.name ?? ""),
    ...(annotations ? { annotations } : {}),
    ownerReferences: [ownerReference(tj)],
  };
}

function tolerations(tj: TrainingJob): Wire<V1Toleration>[] {
  const list: Wire<V1Toleration>[] = [...(tj.spec.tolerations ?? [])];
  if ((tj.spec.resources?.gpu ?? 0) > 0 && !list.some((t) => t.key === GPU || (t.operator === "Exists" && !t.key))) {
    list.push({ key: GPU, operator: "Exists", effect: "NoSchedule" });
  }
  return list;
}

/** What the pod's `train` reads as POD_ENV.trainSpec: the spec and the identity (no generation: runPolicy edits). */
function trainSpecJson(tj: TrainingJob): string {
  const { runPolicy: _r, resources: _res, nodeSelector: _n, tolerations: _t, ...spec } = tj.spec;
  return JSON.stringify({
    kind: "TrainingJob",
    metadata: { name: tj.metadata?.name, namespace: tj.metadata?.namespace, uid: tj.metadata?.uid },
    spec,
  });
}

function container(tj: TrainingJob, ctx: TrainingContext): Wire<V1Container> {
  const { runtimeImage: image, data, report } = ctx;
  const gpu = tj.spec.resources?.gpu ?? 0;
  const cpu = String(tj.spec.resources?.cpu ?? DEFAULT_RESOURCES.cpu);
  const memory = String(tj.spec.resources?.memory ?? DEFAULT_RESOURCES.memory);
  const amounts = { cpu, memory, ...(gpu > 0 ? { [GPU]: String(gpu) } : {}) };
  const out = outputOf(tj, data);
  const outDir = "uri" in out ? out.uri : `${PVC_ROOT}/${out.claim}/${out.path}`;
  const s3 = trainingUsesS3(tj, data);
  const env: Wire<V1EnvVar>[] = [
    podEnv("trainSpec", trainSpecJson(tj)),
    podEnv("pvcRoot", PVC_ROOT),
    { name: "TF_CPP_MIN_LOG_LEVEL", value: "2" },
    ...egressEnv(ctx.egressAllow, [tj.spec.model?.baseModel?.uri]),
    // Reports as often as the operator writes them (a TrainingSearch's early stopping sees epochs this often).
    ...(ctx.progressIntervalMs !== undefined && ctx.progressIntervalMs !== DEFAULT_PROGRESS_INTERVAL_MS
      ? [podEnv("progressInterval", String(ctx.progressIntervalMs))]
      : []),
    ...(s3 ? [...storagePodEnv(trainingStorage(tj, data)), podEnv("scratch", SCRATCH_DIR)] : []),
  ];
  const claims = claimsOf(data, out);
  const mounts: Wire<V1VolumeMount>[] = [{ name: "tmp", mountPath: "/tmp" }];
  if (claims.data)
    mounts.push({ name: "data", mountPath: `${PVC_ROOT}/${claims.data}`, readOnly: !claims.dataWritten });
  if (claims.output) mounts.push({ name: "output", mountPath: `${PVC_ROOT}/${claims.output}` });
  if (s3) mounts.push({ name: "scratch", mountPath: SCRATCH_DIR });
  if (data.encrypted) mounts.push({ name: PLAIN_VOLUME, mountPath: PLAIN_DIR });
  if (report) {
    const parts = reportPodParts(report);
    env.push(...parts.env);
    mounts.push(parts.volumeMount);
  }
  return {
    name: CONTAINER,
    image,
    args: [
      "train",
      "--data",
      "base" in data ? s3VersionUri(data) : `${PVC_ROOT}/${data.claim}/${data.path}`,
      "--data-digest",
      data.digest,
      ...(data.encrypted ? ["--plain-dir", PLAIN_DIR] : []),
      "--out",
      outDir,
      // Keyed by uid: a new TrainingJob of the same name never resumes an old one's checkpoints.
      "--checkpoint-dir",
      `${outDir}/.checkpoints/${tj.metadata?.uid ?? ""}`,
      "--backend",
      gpu > 0 ? "auto" : "tensorflow",
    ],
    env,
    resources: {
      requests: { ...amounts, "ephemeral-storage": EPHEMERAL_STORAGE.request },
      limits: { ...amounts, "ephemeral-storage": s3 ? EPHEMERAL_STORAGE.s3Limit : EPHEMERAL_STORAGE.limit },
    },
    securityContext: RESTRICTED_CONTAINER_SECURITY,
    volumeMounts: mounts,
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
}

export interface TrainingContext {
  runtimeImage: string;
  data: DataVersion;
  report?: ReportSettings | undefined;
  /** Where pods find Vault; the pod gets a Vault identity only when trainingNeedsVault. */
  vault?: VaultSettings | undefined;
  /** The operator's --egress-allow, for an http(s) base model. */
  egressAllow?: string | undefined;
  /** The operator's --progress-interval in ms; the pod reports this often (the runtime's default when 5000). */
  progressIntervalMs?: number | undefined;
}

/**
 * The claims the pod mounts: the DataSet's (read-only unless the output is on it too) and the output's when it is
 * another one; none for s3:// locations.
 */
function claimsOf(data: DataVersion, out: OutputLocation) {
  const dataClaim = "claim" in data ? data.claim : undefined;
  const outClaim = "claim" in out ? out.claim : undefined;
  return {
    data: dataClaim,
    dataWritten: dataClaim !== undefined && outClaim === dataClaim,
    output: outClaim !== undefined && outClaim !== dataClaim ? outClaim : undefined,
  };
}

/**
 * The training pod's spec: the one container, its volumes, the restricted security context and (when it needs one)
 * its Vault identity. The Job's template for a TF.js run; each worker pod of a pytorch run starts from it.
 */
export function trainingPodSpec(tj: TrainingJob, ctx: TrainingContext) {
  const names = trainingNames(tj.metadata?.name ?? "");
  const out = outputOf(tj, ctx.data);
  const claims = claimsOf(ctx.data, out);
  const volumes: Wire<V1Volume>[] = [{ name: "tmp", emptyDir: { sizeLimit: TMP_SIZE_LIMIT } }];
  if (claims.data) volumes.push({ name: "data", persistentVolumeClaim: { claimName: claims.data } });
  if (claims.output) volumes.push({ name: "output", persistentVolumeClaim: { claimName: claims.output } });
  if (trainingUsesS3(tj, ctx.data)) volumes.push({ name: "scratch", emptyDir: { sizeLimit: SCRATCH_SIZE_LIMIT } });
  // Counted against the pod's memory limit; gone with the pod, so no plaintext outlives it on any disk.
  if (ctx.data.encrypted) volumes.push({ name: PLAIN_VOLUME, emptyDir: { medium: "Memory" } });
  if (ctx.report) volumes.push(reportPodParts(ctx.report).volume as Wire<V1Volume>);
  const tol = tolerations(tj);
  const podSpec = {
    restartPolicy: "Never",
    serviceAccountName: names.serviceAccount,
    automountServiceAccountToken: false,
    securityContext: RESTRICTED_POD_SECURITY,
    containers: [container(tj, ctx)],
    volumes,
    ...(tj.spec.nodeSelector ? { nodeSelector: tj.spec.nodeSelector } : {}),
    ...(tol.length > 0 ? { tolerations: tol } : {}),
  };
  return trainingNeedsVault(tj, ctx.data) && ctx.vault
    ? withVaultIdentity(podSpec, ctx.vault, trainingVaultRole(tj), [CONTAINER])
    : podSpec;
}

/** The training pod's ServiceAccount: its identity for Vault and the report channel, no API token mounted. */
function serviceAccount(tj: TrainingJob): DesiredObject<ServiceAccount> {
  return child(RESOURCES.ServiceAccount, meta(tj, trainingNames(tj.metadata?.name ?? "").serviceAccount), {
    automountServiceAccountToken: false,
  });
}

export function desiredObjects(tj: TrainingJob, ctx: TrainingContext): DesiredObject[] {
  const name = tj.metadata?.name ?? "";
  const names = trainingNames(name);
  const rp = tj.spec.runPolicy;
  const sa = serviceAccount(tj);
  // A pytorch run's worker pods are created one by one by its group (pytorch/group-plan.ts), never by a Job.
  if (tj.spec.pytorch) return [sa];
  const pod = trainingPodSpec(tj, ctx);
  const job: DesiredObject<Job> = child(
    RESOURCES.Job,
    meta(tj, names.job, { [ANNOTATION_DATASET_DIGEST]: ctx.data.digest }),
    {
      spec: {
        backoffLimit: rp?.backoffLimit ?? 3,
        ...(rp?.activeDeadlineSeconds !== undefined ? { activeDeadlineSeconds: rp.activeDeadlineSeconds } : {}),
        ...(rp?.ttlSecondsAfterFinished !== undefined ? { ttlSecondsAfterFinished: rp.ttlSecondsAfterFinished } : {}),
        suspend: rp?.suspend ?? false,
        podFailurePolicy: {
          rules: [
            {
              action: "FailJob",
              onExitCodes: { containerName: CONTAINER, operator: "In", values: NON_RETRIABLE_EXIT_CODES },
            },
            // A node drained or lost is not the training's fault: retry without spending the backoff budget.
            { action: "Ignore", onPodConditions: [{ type: "DisruptionTarget", status: "True" }] },
          ],
        },
        template: {
          metadata: { labels: { [LABEL_TJ]: name } },
          spec: pod,
        },
      },
    },
  );
  return [sa, job];
}
