// Where the serving pods read their drift baseline (pure): the DataSet named by baselineDataSetRef (its output's
// stats.json, once Ready; an encrypted one has only stats.json.enc, which serving cannot open), or else the
// stats.json the training artifact carries next to model.json.
import type { DataSet, ModelDeployment } from "../../api/v1alpha1/index.js";
import type { ObjectStorageSpec } from "../../contract/storage.js";
import { isConditionTrue } from "../../controller/conditions.js";
import { ConditionType, Reason } from "../../reasons.js";
import { pvcClaim, type ResolvedModel } from "../model-source.js";

export type Baseline =
  | { uri: string; claim?: string; storage?: ObjectStorageSpec }
  | { failure: { reason: string; message: string } };

function statsNextTo(uri: string): string {
  const base = uri.replace(/\/+$/, "");
  return base.endsWith(".json") ? base.replace(/[^/]+\.json$/, "stats.json") : `${base}/stats.json`;
}

export function baselineFor(
  mdep: ModelDeployment,
  model: ResolvedModel,
  getDataSet: (name: string) => DataSet | undefined,
): Baseline | undefined {
  const mon = mdep.spec.monitoring;
  if (!mon || (!mon.drift && !mon.feedback)) return undefined;
  const ref = mon.drift?.baselineDataSetRef?.name;
  if (ref === undefined)
    return {
      uri: statsNextTo(model.uri),
      ...(model.claim ? { claim: model.claim } : {}),
      ...(model.storage ? { storage: model.storage } : {}),
    };
  const ds = getDataSet(ref);
  if (!ds)
    return {
      failure: {
        reason: Reason.BaselineNotFound,
        message: `baseline DataSet ${ref} not found; create it or fix monitoring.drift.baselineDataSetRef`,
      },
    };
  const ready = isConditionTrue(ds.status?.conditions, ConditionType.Ready);
  if (!ready || !ds.status?.output)
    return {
      failure: {
        reason: Reason.BaselineNotReady,
        message: `baseline DataSet ${ref} is not Ready yet; drift starts once its statistics exist`,
      },
    };
  if (ds.spec?.encryption) {
    return {
      failure: {
        reason: Reason.BaselineUnavailable,
        message: `baseline DataSet ${ref} is encrypted and serving pods hold no key for it; leave out monitoring.drift.baselineDataSetRef to compare with the statistics the trained model carries`,
      },
    };
  }
  const claim = pvcClaim(ds.status.output);
  // An s3:// output is read with the DataSet's own storage settings (the model's, when the DataSet names none).
  const storage = ds.status.output.startsWith("s3://") ? (ds.spec?.storage ?? model.storage) : undefined;
  return { uri: statsNextTo(ds.status.output), ...(claim ? { claim } : {}), ...(storage ? { storage } : {}) };
}
