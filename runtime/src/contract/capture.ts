// spec.capture of a ModelDeployment as the operator passes it to serving pods (one JSON in LIFTOFF_CAPTURE) and
// `serve` parses it (runtime/src/config.ts, --capture). The operator fills in what spec.capture does not say from the
// model's lineage (TrainingJob → DataSet): the schema columns, the target and how each pii column is protected, so
// captured rows look like the DataSet's and its pii columns are hashed (same salt) or dropped as prepare does.
// The runtime checks it again here: `serve --capture` can be given by hand.

export type CaptureColumnType = "number" | "integer" | "string" | "boolean" | "category";

export interface CapturePii {
  column: string;
  /** drop: never written; hash: HMAC-SHA-256(salt, value) lowercase hex, exactly prepare's hashPII. */
  action: "drop" | "hash";
  /** hash: the KV v2 path and key of the salt (the DataSet's hashPII saltSecret). */
  saltVaultPath?: string;
  saltVaultKey?: string;
}

export interface CaptureConfig {
  /** pvc://<claim>/<path> (mounted at LIFTOFF_PVC_ROOT as for models) or s3://<bucket>/<prefix>. */
  uri: string;
  /** 0 < x <= 1: the fraction of requests whose rows are kept. */
  sampleRate: number;
  /** Per pod folder: the oldest versions are deleted beyond it. */
  maxBytes: number;
  /** Versions older than this are deleted. */
  retentionHours: number;
  /** How long a record waits in memory for its feedback label before it is written unlabelled. */
  labelWaitSeconds: number;
  /** A version is written at least this often while records are pending. */
  flushSeconds: number;
  /** The DataSet's schema.target: the column the feedback label fills. */
  target: string;
  /** The target's type in the DataSet's schema (the label is cast to it); absent: written as text. */
  targetType?: CaptureColumnType;
  /** The DataSet's schema columns, less the target. */
  columns: { name: string; type: CaptureColumnType }[];
  pii: CapturePii[];
  /** Files are encrypted with a data key from Vault transit (transit/datakey/wrapped/<key>). */
  encryption?: { transitKey: string };
  /** Written into every record's __track column. */
  track: "stable" | "canary";
}

/** The defaults of spec.capture's optional fields (the CRD's defaults say the same). */
export const CAPTURE_DEFAULTS = {
  sampleRate: 1,
  maxBytes: 1024 ** 3,
  retentionHours: 168,
  labelWaitSeconds: 600,
  flushSeconds: 30,
} as const;

const COLUMN_TYPES: readonly CaptureColumnType[] = ["number", "integer", "string", "boolean", "category"];
// Any column name the DataSet schema allows (DuckDB quotes it), but not the capture columns' "__" prefix.
const usable = (n: string) => n.length <= 256 && !n.startsWith("__") && !n.includes("\0");

export class CaptureConfigError extends Error {
  override name = "CaptureConfigError";
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

function fields(v: Record<string, unknown>, where: string, allowed: readonly string[]): void {
  const extra = Object.keys(v).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new CaptureConfigError(`${where} has unknown field(s) ${extra.join(", ")}`);
}

function num(v: unknown, where: string, min: number, max: number, minExclusive = false): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v > max || (minExclusive ? v <= min : v < min))
    throw new CaptureConfigError(`${where} must be a number ${minExclusive ? ">" : ">="} ${min} and <= ${max}`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== "string" || v === "") throw new CaptureConfigError(`${where} must be a non-empty string`);
  return v;
}

/** The JSON of LIFTOFF_CAPTURE / --capture, checked field by field; CaptureConfigError names the field. */
export function parseCaptureConfig(raw: string): CaptureConfig {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new CaptureConfigError("capture is not valid JSON");
  }
  if (!isObject(v)) throw new CaptureConfigError("capture must be a JSON object");
  fields(v, "capture", [
    "uri",
    "sampleRate",
    "maxBytes",
    "retentionHours",
    "labelWaitSeconds",
    "flushSeconds",
    "target",
    "targetType",
    "columns",
    "pii",
    "encryption",
    "track",
  ]);
  const uri = str(v.uri, "capture.uri");
  if (!/^pvc:\/\/[^/]+(\/.*)?$/.test(uri) && !/^s3:\/\/[^/]+(\/.*)?$/.test(uri))
    throw new CaptureConfigError(`capture.uri must be pvc://<claim>/<path> or s3://<bucket>/<prefix>, not ${uri}`);
  if (uri.split("/").includes("..")) throw new CaptureConfigError("capture.uri must not contain '..'");
  const d = CAPTURE_DEFAULTS;
  const target = str(v.target, "capture.target");
  if (!Array.isArray(v.columns) || v.columns.length === 0)
    throw new CaptureConfigError("capture.columns must list the DataSet's schema columns (less the target)");
  const columns = v.columns.map((c, i) => {
    if (!isObject(c)) throw new CaptureConfigError(`capture.columns[${i}] must be {name, type}`);
    fields(c, `capture.columns[${i}]`, ["name", "type"]);
    const name = str(c.name, `capture.columns[${i}].name`);
    if (!usable(name)) throw new CaptureConfigError(`capture.columns[${i}].name '${name}' is not a usable column name`);
    if (!COLUMN_TYPES.includes(c.type as CaptureColumnType))
      throw new CaptureConfigError(`capture.columns[${i}].type must be one of ${COLUMN_TYPES.join(", ")}`);
    return { name, type: c.type as CaptureColumnType };
  });
  const names = new Set(columns.map((c) => c.name));
  if (names.size !== columns.length) throw new CaptureConfigError("capture.columns names a column twice");
  if (names.has(target)) throw new CaptureConfigError(`capture.columns must not include the target '${target}'`);
  if (!usable(target)) throw new CaptureConfigError(`capture.target '${target}' is not a usable column name`);
  const piiRaw = v.pii ?? [];
  if (!Array.isArray(piiRaw)) throw new CaptureConfigError("capture.pii must be an array");
  const pii = piiRaw.map((p, i): CapturePii => {
    const where = `capture.pii[${i}]`;
    if (!isObject(p)) throw new CaptureConfigError(`${where} must be {column, action}`);
    fields(p, where, ["column", "action", "saltVaultPath", "saltVaultKey"]);
    const column = str(p.column, `${where}.column`);
    if (!names.has(column)) throw new CaptureConfigError(`${where}.column '${column}' is not one of capture.columns`);
    if (p.action === "drop") return { column, action: "drop" };
    if (p.action !== "hash") throw new CaptureConfigError(`${where}.action must be drop or hash`);
    return {
      column,
      action: "hash",
      saltVaultPath: str(p.saltVaultPath, `${where}.saltVaultPath`),
      saltVaultKey: str(p.saltVaultKey, `${where}.saltVaultKey`),
    };
  });
  if (new Set(pii.map((p) => p.column)).size !== pii.length)
    throw new CaptureConfigError("capture.pii names a column twice");
  let encryption: CaptureConfig["encryption"];
  if (v.encryption !== undefined && v.encryption !== null) {
    if (!isObject(v.encryption)) throw new CaptureConfigError("capture.encryption must be {transitKey}");
    fields(v.encryption, "capture.encryption", ["transitKey"]);
    encryption = { transitKey: str(v.encryption.transitKey, "capture.encryption.transitKey") };
  }
  if (v.targetType !== undefined && !COLUMN_TYPES.includes(v.targetType as CaptureColumnType))
    throw new CaptureConfigError(`capture.targetType must be one of ${COLUMN_TYPES.join(", ")}`);
  const track = v.track ?? "stable";
  if (track !== "stable" && track !== "canary") throw new CaptureConfigError("capture.track must be stable or canary");
  return {
    uri,
    sampleRate: num(v.sampleRate ?? d.sampleRate, "capture.sampleRate", 0, 1, true),
    maxBytes: Math.floor(num(v.maxBytes ?? d.maxBytes, "capture.maxBytes", 1024, Number.MAX_SAFE_INTEGER)),
    retentionHours: num(v.retentionHours ?? d.retentionHours, "capture.retentionHours", 0, 24 * 366, true),
    labelWaitSeconds: num(v.labelWaitSeconds ?? d.labelWaitSeconds, "capture.labelWaitSeconds", 0, 86_400),
    flushSeconds: num(v.flushSeconds ?? d.flushSeconds, "capture.flushSeconds", 0, 86_400, true),
    target,
    ...(v.targetType !== undefined ? { targetType: v.targetType as CaptureColumnType } : {}),
    columns,
    pii,
    ...(encryption ? { encryption } : {}),
    track,
  };
}
