// ModelDeployment's SetupWithManager: the caches it reads, its controller, and which changes requeue which keys.
import type { ModelDeployment, TrainingJob } from "../api/v1alpha1/index.js";
import type { Controller } from "../controller/controller.js";
import type { ObjectCache } from "../controller/informer.js";
import { nodeSchedulingChanged } from "../controller/predicates.js";
import type { Pod } from "../kube/models.js";
import { RESOURCES } from "../kube/resources.js";
import { keyOf } from "../kube/types.js";
import type { Manager } from "../manager.js";
import { LABEL_MDEP, MANAGED_BY, selectorString } from "./names.js";
import { ModelDeploymentReconciler, ownedKinds } from "./reconciler.js";

/** The ModelDeployment a serving pod belongs to (by label: pods are owned by ReplicaSets, not by it). */
export function podOwnerKey(pod: Pod): string[] {
  const name = pod.metadata?.labels?.[LABEL_MDEP];
  return name && pod.metadata?.namespace ? [`${pod.metadata.namespace}/${name}`] : [];
}

/** ModelDeployments whose stable or canary model comes from this TrainingJob. */
export function referencingTrainingJob(mdeps: ObjectCache<ModelDeployment>, tj: TrainingJob): string[] {
  return mdeps
    .list()
    .filter((m) => m.metadata?.namespace === tj.metadata?.namespace)
    .filter((m) =>
      [m.spec.model.trainingJobRef?.name, m.spec.canary?.model?.trainingJobRef?.name].includes(tj.metadata?.name),
    )
    .map(keyOf);
}

/** A node's GPUs only matter to ModelDeployments that ask for GPUs. */
export function requestingGPUs(mdeps: ObjectCache<ModelDeployment>): string[] {
  return mdeps
    .list()
    .filter((m) => (m.spec.resources?.gpu ?? 0) > 0)
    .map(keyOf);
}

export function setupModelDeployment(mgr: Manager): Controller {
  const modelDeployments = mgr.cache(RESOURCES.ModelDeployment);
  const trainingJobs = mgr.cache(RESOURCES.TrainingJob);
  const pods = mgr.cache(RESOURCES.Pod, { labelSelector: LABEL_MDEP });
  const nodes = mgr.cache(RESOURCES.Node);
  const managed = selectorString(MANAGED_BY);
  const owned = ownedKinds(mgr.capabilities).map((r) => mgr.cache(r, { labelSelector: managed }));
  const reconciler = new ModelDeploymentReconciler({
    client: mgr.client,
    caches: { modelDeployments, trainingJobs, pods, nodes, owned },
    events: mgr.events,
    runtimeImage: mgr.config.runtimeImage,
    capabilities: mgr.capabilities,
    ...(mgr.config.vault ? { vault: mgr.config.vault } : {}),
  });
  return mgr
    .controller(reconciler, modelDeployments)
    .owns(owned)
    .watches(pods, podOwnerKey)
    .watches(trainingJobs, (tj) => referencingTrainingJob(modelDeployments, tj))
    .watches(nodes, () => requestingGPUs(modelDeployments), nodeSchedulingChanged);
}
