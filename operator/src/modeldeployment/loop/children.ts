// The DataSet and TrainingJob one loop iteration creates, copied from their templates (pure). Owned by the
// ModelDeployment (controller reference) and named <mdep>-loop-<n>, so a restarted operator adopts them.
import type { DataSet, ModelDeployment, TrainingJob } from "../../api/v1alpha1/index.js";
import { child, type DesiredObject } from "../../children/child.js";
import { CAPTURED_DEFAULTS } from "../../contract/dataset.js";
import { RESOURCES } from "../../kube/resources.js";
import type { ObjectMeta } from "../../kube/types.js";
import { ownerReference } from "../desired.js";
import { loopChildName, loopLabels } from "./names.js";
import type { RetrainSpec } from "./policy.js";

/** The templates a loop copies, by name: the TrainingJob (retrain.trainingJob.from, else spec.model's), its DataSet. */
export function templateNames(
  mdep: ModelDeployment,
  getTrainingJob: (name: string) => TrainingJob | undefined,
): { trainingJob?: string; dataSet?: string } {
  const r: RetrainSpec = mdep.spec.retrain ?? {};
  const trainingJob = r.trainingJob?.from ?? mdep.spec.model.trainingJobRef?.name;
  const dataSet = r.dataSet?.from ?? (trainingJob ? getTrainingJob(trainingJob)?.spec.dataSetRef.name : undefined);
  return { ...(trainingJob ? { trainingJob } : {}), ...(dataSet ? { dataSet } : {}) };
}

function meta(mdep: ModelDeployment, n: number): ObjectMeta {
  const name = mdep.metadata?.name ?? "";
  return {
    name: loopChildName(name, n),
    ...(mdep.metadata?.namespace ? { namespace: mdep.metadata.namespace } : {}),
    labels: loopLabels(name),
    ownerReferences: [ownerReference(mdep)],
  };
}

/**
 * A location beside the template's, one per iteration (<path>-loop-<n>), so no two loops write the same versions.
 * Beside, not below: a DataSet prunes old version folders under its output, and a loop's folder must not be one.
 */
function beside<T extends { path?: string; uri?: string }>(out: T, n: number): T {
  const suffix = `-loop-${n}`;
  return {
    ...out,
    ...(out.path !== undefined ? { path: `${out.path.replace(/\/+$/, "")}${suffix}` } : {}),
    ...(out.uri !== undefined ? { uri: `${out.uri.replace(/\/+$/, "")}${suffix}` } : {}),
  };
}

/**
 * The loop's DataSet: the template's spec, written beside the template's output, with this ModelDeployment's captured
 * traffic added as source.captured when it captures (spec.capture) and retrain.dataSet.includeCaptured allows.
 */
export function loopDataSet(mdep: ModelDeployment, template: DataSet, n: number): DesiredObject<DataSet> {
  const r = mdep.spec.retrain ?? {};
  const withCaptured = mdep.spec.capture !== undefined && (r.dataSet?.includeCaptured ?? true);
  const spec = structuredClone(template.spec);
  spec.output = beside(spec.output, n);
  if (withCaptured) {
    // Labelled rows only: the retrain learns from the feedback the captured predictions got.
    spec.source.captured = {
      modelDeploymentRef: { name: mdep.metadata?.name ?? "" },
      maxAgeHours: r.dataSet?.capturedMaxAgeHours ?? CAPTURED_DEFAULTS.maxAgeHours,
      labelled: true,
    };
  }
  return child(RESOURCES.DataSet, meta(mdep, n), { spec });
}

/** The loop's TrainingJob: the template's spec, trained on the loop's DataSet, with the hyperparameter overrides. */
export function loopTrainingJob(mdep: ModelDeployment, template: TrainingJob, n: number): DesiredObject<TrainingJob> {
  const overrides = mdep.spec.retrain?.trainingJob?.hyperparameters ?? {};
  const spec = structuredClone(template.spec);
  spec.dataSetRef = { name: loopChildName(mdep.metadata?.name ?? "", n) };
  spec.hyperparameters = { ...spec.hyperparameters, ...overrides };
  if (spec.output) spec.output = beside(spec.output, n);
  return child(RESOURCES.TrainingJob, meta(mdep, n), { spec });
}
