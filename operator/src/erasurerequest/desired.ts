// The erase Job of an ErasureRequest (pure): the DataSet's own pod (its ServiceAccount, its Vault role, its claim,
// the restricted security profile; dataset/desired.ts) running `liftoff-runtime erase`, owned by the request so its
// report reaches the request's handler. The subjects travel as a Vault reference only.
import type { DataSet, ErasureRequest, TrainingJob } from "../api/v1alpha1/index.js";
import type { DesiredObject } from "../children/child.js";
import type { ErasureEnv } from "../contract/erasure.js";
import { podEnv } from "../contract/pod-env.js";
import { type JobOptions, jobObject, outDir } from "../dataset/desired.js";
import { controllerReference, RESOURCES } from "../kube/resources.js";
import { ANNOTATION_RETRAIN_OF, erasureLabels, erasureNames } from "./names.js";

export function eraseJob(req: ErasureRequest, ds: DataSet, o: JobOptions): DesiredObject {
  const name = req.metadata?.name ?? "";
  const erasure: ErasureEnv = { request: name, subjects: req.spec.subjects.vaultSecret };
  const env = [podEnv("dataSetSpec", JSON.stringify(ds.spec)), podEnv("erasure", JSON.stringify(erasure))];
  // The erase pod always reads Vault (the subjects), whatever the DataSet's spec needs besides.
  const job = jobObject(
    ds,
    erasureNames(name).job,
    ["erase", "--out", outDir(ds)],
    { ...o, captured: undefined },
    env,
    true,
  );
  const labels = erasureLabels(name);
  job.metadata = {
    ...job.metadata,
    labels,
    ownerReferences: [controllerReference(RESOURCES.ErasureRequest, req)],
  };
  job.spec.template.metadata.labels = labels;
  return { resource: RESOURCES.Job, object: job };
}

/** A copy of the TrainingJob's spec, trained on the DataSet's current (rewritten) version, owned by the request. */
export function retrainJob(req: ErasureRequest, tj: TrainingJob): DesiredObject {
  const name = req.metadata?.name ?? "";
  return {
    resource: RESOURCES.TrainingJob,
    object: {
      apiVersion: "liftoff.dev/v1alpha1",
      kind: "TrainingJob",
      metadata: {
        name: erasureNames(name).retrain(tj.metadata?.name ?? ""),
        namespace: req.metadata?.namespace ?? "",
        labels: erasureLabels(name),
        annotations: { [ANNOTATION_RETRAIN_OF]: tj.metadata?.name ?? "" },
        ownerReferences: [controllerReference(RESOURCES.ErasureRequest, req)],
      },
      spec: structuredClone(tj.spec),
    },
  };
}
