// Lists what the lineage tree is built from: the Liftoff kinds (TrainingSearches where the cluster has them), and the Deployments and pods the operator
// labels liftoff.dev/modeldeployment, in one namespace or all (-A).
import { AppsV1Api, CoreV1Api } from "@kubernetes/client-node";
import { PluginError } from "../cli/errors.js";
import { LIFTOFF_KINDS } from "../cli/kinds.js";
import type { Kube, KubeObject } from "../cli/kube.js";
import type { Snapshot } from "./build.js";

const SELECTOR = "liftoff.dev/modeldeployment";

export async function loadSnapshot(kube: Kube, namespace: string | null): Promise<Snapshot> {
  const apps = kube.api(AppsV1Api);
  const core = kube.api(CoreV1Api);
  const where = namespace ? ` in namespace ${namespace}` : "";
  const [datasets, trainingjobs, modeldeployments, trainingsearches, deployments, pods] = await Promise.all([
    kube.listLiftoff(LIFTOFF_KINDS.DataSet, namespace),
    kube.listLiftoff(LIFTOFF_KINDS.TrainingJob, namespace),
    kube.listLiftoff(LIFTOFF_KINDS.ModelDeployment, namespace),
    // A cluster whose operator predates TrainingSearch has no such resource (404): its trees have no searches.
    kube.listLiftoff(LIFTOFF_KINDS.TrainingSearch, namespace).catch((err: unknown) => {
      if (err instanceof PluginError && err.code === "NotFound") return [];
      throw err;
    }),
    kube.call(`deployments${where}`, () =>
      namespace === null
        ? apps.listDeploymentForAllNamespaces({ labelSelector: SELECTOR })
        : apps.listNamespacedDeployment({ namespace, labelSelector: SELECTOR }),
    ),
    kube.call(`pods${where}`, () =>
      namespace === null
        ? core.listPodForAllNamespaces({ labelSelector: SELECTOR })
        : core.listNamespacedPod({ namespace, labelSelector: SELECTOR }),
    ),
  ]);
  return {
    datasets,
    trainingjobs,
    modeldeployments,
    trainingsearches,
    deployments: deployments.items as unknown as KubeObject[],
    pods: pods.items as unknown as KubeObject[],
  };
}
