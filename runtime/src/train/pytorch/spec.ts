// The part of a pytorch TrainingJob the worker's `train` reads (pure): spec.pytorch, the hyperparameters handed to
// the script, and who the run is. The CRD checked the fields in a cluster; a local manifest is checked here.
import { ConfigError } from "../../errors.js";

export interface PyTorchRun {
  name: string;
  namespace?: string;
  uid?: string;
  dataSet: string;
  task: string;
  scriptPath?: string;
  configMap?: { name: string; key: string };
  args: string[];
  workers: number;
  procsPerWorker: number;
  /** spec.hyperparameters as given (the script reads them through liftoff.hyperparameters()). */
  hyperparameters: Record<string, unknown>;
}

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const count = (v: unknown, field: string, max: number): number => {
  if (v === undefined) return 1;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > max) {
    throw new ConfigError(`spec.pytorch.${field} must be an integer from 1 to ${max}`);
  }
  return v;
};

/** Whether a TrainingJob manifest (or the pod's LIFTOFF_TRAIN_SPEC) is a pytorch run. */
export const isPyTorch = (manifest: unknown): boolean => obj(obj(manifest).spec).pytorch !== undefined;

export function pytorchRunOf(manifest: unknown): PyTorchRun {
  const m = obj(manifest);
  const spec = obj(m.spec);
  const p = obj(spec.pytorch);
  const script = obj(p.script);
  const meta = obj(m.metadata);
  const cm = script.configMap === undefined ? undefined : obj(script.configMap);
  const path = typeof script.path === "string" ? script.path : undefined;
  if ((cm === undefined) === (path === undefined)) {
    throw new ConfigError("spec.pytorch.script: set configMap (name and key) or path, exactly one");
  }
  if (cm && (typeof cm.name !== "string" || typeof cm.key !== "string")) {
    throw new ConfigError("spec.pytorch.script.configMap needs name and key");
  }
  const args = p.args === undefined ? [] : p.args;
  if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
    throw new ConfigError("spec.pytorch.args must be a list of strings");
  }
  const ds = obj(spec.dataSetRef).name;
  return {
    name: typeof meta.name === "string" ? meta.name : "local",
    ...(typeof meta.namespace === "string" ? { namespace: meta.namespace } : {}),
    ...(typeof meta.uid === "string" ? { uid: meta.uid } : {}),
    dataSet: typeof ds === "string" ? ds : "",
    task: typeof spec.task === "string" ? spec.task : "",
    ...(path ? { scriptPath: path } : {}),
    ...(cm ? { configMap: { name: String(cm.name), key: String(cm.key) } } : {}),
    args: args as string[],
    workers: count(p.workers, "workers", 64),
    procsPerWorker: count(p.procsPerWorker, "procsPerWorker", 16),
    hyperparameters: obj(spec.hyperparameters),
  };
}
