// A trial as the search creates it (pure): the template's TrainingJob spec with each parameter's value set at its
// path, owned by the search (deleting the search deletes its trials), its parameters in an annotation. Trials log in
// to Vault with the template's vaultRole, else the search's default role liftoff-<namespace>-<search>-train, so one
// role (bound to the trials' service accounts <search>-<index>-train) serves them all.
import type { SearchParameter, TrainingJob, TrainingJobSpec, TrainingSearch } from "../api/v1alpha1/index.js";
import { controllerReference, RESOURCES } from "../kube/resources.js";
import type { ParameterValue } from "./algorithm/index.js";
import { ANNOTATION_TRIAL_PARAMETERS, trialLabels, trialName } from "./names.js";

const LAYER_PATH = /^model\.layers\[(\d+)\]\.(units|rate|filters|activation)$/;

/** Sets one parameter's value in a (copied) TrainingJob spec; the path is one the CRD's pattern allows. */
export function setParameter(spec: TrainingJobSpec, path: string, value: ParameterValue): void {
  const layer = LAYER_PATH.exec(path);
  if (layer) {
    const target = spec.model?.layers?.[Number(layer[1])];
    // The CRD refuses an index past the template's layers; a layer that is still missing here is a bug.
    if (!target) throw new Error(`${path}: the template has no such layer`);
    (target as Record<string, unknown>)[layer[2] ?? ""] = value;
    return;
  }
  const field = path.replace(/^hyperparameters\./, "");
  (spec.hyperparameters as Record<string, unknown>)[field] = value;
}

/** The parameters as text, for status and kubectl (numbers to 6 significant digits). */
export function parametersText(parameters: Record<string, ParameterValue>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(parameters).map(([k, v]) => [k, typeof v === "number" ? String(Number(v.toPrecision(6))) : v]),
  );
}

function searchVaultRole(search: TrainingSearch): string {
  const md = search.metadata;
  return search.spec.template.spec.vaultRole ?? `liftoff-${md?.namespace ?? ""}-${md?.name ?? ""}-train`;
}

export function trialObject(
  search: TrainingSearch,
  index: number,
  parameters: Record<string, ParameterValue>,
  specParameters: readonly SearchParameter[] = search.spec.parameters,
): TrainingJob {
  const name = search.metadata?.name ?? "";
  const spec = structuredClone(search.spec.template.spec);
  for (const p of specParameters) {
    const value = parameters[p.name];
    if (value !== undefined) setParameter(spec, p.path, value);
  }
  spec.vaultRole = searchVaultRole(search);
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "TrainingJob",
    metadata: {
      name: trialName(name, index),
      namespace: search.metadata?.namespace ?? "",
      labels: trialLabels(name, index),
      annotations: { [ANNOTATION_TRIAL_PARAMETERS]: JSON.stringify(parameters) },
      ownerReferences: [controllerReference(RESOURCES.TrainingSearch, search, { blockOwnerDeletion: true })],
    },
    spec,
  };
}
