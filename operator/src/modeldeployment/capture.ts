// spec.capture → the serving pods' LIFTOFF_CAPTURE (contract/capture.ts), as a pure function of the ModelDeployment
// and its lineage: the columns, target and pii protection come from the DataSet the model was trained on (spec.model.
// trainingJobRef → TrainingJob → DataSet, or spec.capture.dataSetRef), so captured rows look like that DataSet's rows
// and its pii columns are hashed (same salt) or dropped as prepare does. Encryption defaults to the DataSet's key.
import type { DataSet, ModelDeployment, TrainingJob } from "../api/v1alpha1/index.js";
import { CAPTURE_DEFAULTS, type CaptureConfig, type CapturePii } from "../contract/capture.js";
import { parseModelUri } from "../contract/model-uri.js";
import type { ObjectStorageSpec } from "../contract/storage.js";
import { parseQuantity } from "../kube/quantity.js";
import { Reason, stalled, waiting } from "../reasons.js";

export interface ResolvedCapture {
  /** LIFTOFF_CAPTURE less the track (each Deployment adds its own). */
  config: Omit<CaptureConfig, "track">;
  /** pvc://: the claim the pods mount read-write. */
  claim?: string;
  /** s3://: how the pods reach the bucket (spec.storage, as for an s3:// model). */
  storage?: ObjectStorageSpec;
  /** Whether the pods log in to Vault for it (hashed pii's salt, or encryption). */
  needsVault: boolean;
}

type DataSetSpec = DataSet["spec"];

/**
 * How each schema column (less the target) is protected, following the DataSet's transforms: a column any hashPII
 * step hashes is hashed with that step's salt; a pii column a dropColumns step removes, or that nothing protects, is
 * dropped (never written). Non-pii columns prepare drops later are kept: the DataSet reading the capture drops them.
 */
export function capturePii(spec: DataSetSpec): CapturePii[] {
  const columns = spec.schema.columns.filter((c) => c.name !== spec.schema.target);
  const hashed = new Map<string, { path: string; key: string }>();
  const dropped = new Set<string>();
  for (const t of spec.transforms ?? []) {
    if (t.type === "hashPII" && t.saltSecret) {
      const targets = t.columns ?? columns.filter((c) => c.pii && !dropped.has(c.name)).map((c) => c.name);
      for (const c of targets) if (!dropped.has(c)) hashed.set(c, t.saltSecret);
    }
    if (t.type === "dropColumns") for (const c of t.columns ?? []) dropped.add(c);
  }
  const out: CapturePii[] = [];
  for (const c of columns) {
    const salt = hashed.get(c.name);
    if (c.pii && (dropped.has(c.name) || !salt)) out.push({ column: c.name, action: "drop" });
    else if (salt) out.push({ column: c.name, action: "hash", saltVaultPath: salt.path, saltVaultKey: salt.key });
  }
  return out;
}

/** The DataSet the captured rows follow: capture.dataSetRef, else the served TrainingJob's. */
function lineageDataSet(
  mdep: ModelDeployment,
  getTrainingJob: (name: string) => TrainingJob | undefined,
  getDataSet: (name: string) => DataSet | undefined,
): DataSet {
  const capture = mdep.spec.capture;
  let name = capture?.dataSetRef?.name;
  if (name === undefined) {
    const tjName = mdep.spec.model.trainingJobRef?.name;
    const tj = tjName === undefined ? undefined : getTrainingJob(tjName);
    name = tj?.spec.dataSetRef?.name;
    if (name === undefined)
      throw stalled(
        Reason.CaptureInvalid,
        "capture needs the DataSet whose schema the captured rows follow: set capture.dataSetRef (model.uri) or serve a TrainingJob's model",
      );
  }
  const dataSet = getDataSet(name);
  if (!dataSet)
    throw waiting(Reason.CaptureDataSetNotFound, `capture follows DataSet ${name}'s schema, but it does not exist`);
  return dataSet;
}

export function resolveCapture(
  mdep: ModelDeployment,
  getTrainingJob: (name: string) => TrainingJob | undefined,
  getDataSet: (name: string) => DataSet | undefined,
): ResolvedCapture | undefined {
  const c = mdep.spec.capture;
  if (!c) return undefined;
  const maxBytes = parseQuantity(c.maxBytes ?? "1Gi");
  if (maxBytes === undefined || maxBytes < 1024 * 1024)
    throw stalled(Reason.CaptureInvalid, `capture.maxBytes ${String(c.maxBytes)} must be a quantity of at least 1Mi`);
  const ds = lineageDataSet(mdep, getTrainingJob, getDataSet).spec;
  const target = ds.schema.columns.find((col) => col.name === ds.schema.target);
  const pii = capturePii(ds);
  const transitKey = c.encryption?.transitKey ?? ds.encryption?.transitKey;
  const config: ResolvedCapture["config"] = {
    uri: c.uri,
    sampleRate: c.sampleRate ?? CAPTURE_DEFAULTS.sampleRate,
    maxBytes: Math.floor(maxBytes),
    retentionHours: c.retentionHours ?? CAPTURE_DEFAULTS.retentionHours,
    labelWaitSeconds: c.labelWaitSeconds ?? CAPTURE_DEFAULTS.labelWaitSeconds,
    flushSeconds: c.flushSeconds ?? CAPTURE_DEFAULTS.flushSeconds,
    target: ds.schema.target,
    ...(target ? { targetType: target.type } : {}),
    columns: ds.schema.columns
      .filter((col) => col.name !== ds.schema.target)
      .map((col) => ({ name: col.name, type: col.type })),
    pii,
    ...(transitKey ? { encryption: { transitKey } } : {}),
  };
  const at = parseModelUri(c.uri).location;
  return {
    config,
    ...(at.kind === "pvc" ? { claim: at.claim } : {}),
    ...(at.kind === "s3" && mdep.spec.storage ? { storage: mdep.spec.storage } : {}),
    needsVault: transitKey !== undefined || pii.some((p) => p.action === "hash"),
  };
}

/** The pod's LIFTOFF_CAPTURE value for one track. */
export function captureJson(c: ResolvedCapture, track: CaptureConfig["track"]): string {
  return JSON.stringify({ ...c.config, track } satisfies CaptureConfig);
}
