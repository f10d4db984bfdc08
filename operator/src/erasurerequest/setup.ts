// ErasureRequest's SetupWithManager: its caches (requests; the erase Jobs it owns, by label; the DataSets, TrainingJobs
// and ModelDeployments its record and lineage read), the controller, and its handler on the report endpoint.
import type { Controller } from "../controller/controller.js";
import { RESOURCES } from "../kube/resources.js";
import type { Manager } from "../manager.js";
import { LABEL_ERASURE } from "./names.js";
import { ErasureRequestReconciler, requestsIn } from "./reconciler.js";

export function setupErasureRequest(mgr: Manager): Controller {
  const erasureRequests = mgr.cache(RESOURCES.ErasureRequest);
  const dataSets = mgr.cache(RESOURCES.DataSet);
  const jobs = mgr.cache(RESOURCES.Job, { labelSelector: LABEL_ERASURE });
  const trainingJobs = mgr.cache(RESOURCES.TrainingJob);
  const modelDeployments = mgr.cache(RESOURCES.ModelDeployment);
  let controller: Controller | undefined;
  const reconciler = new ErasureRequestReconciler({
    client: mgr.client,
    erasureRequests,
    dataSets,
    jobs,
    trainingJobs,
    modelDeployments,
    events: mgr.events,
    runtimeImage: mgr.config.runtimeImage,
    ...(mgr.reports.settings ? { report: mgr.reports.settings } : {}),
    ...(mgr.config.vault ? { vault: mgr.config.vault } : {}),
    enqueue: (key) => controller?.queue.add(key),
  });
  const inNamespace = (o: { metadata?: { namespace?: string } }) =>
    requestsIn(erasureRequests.list(), o.metadata?.namespace);
  controller = mgr
    .controller(reconciler, erasureRequests)
    .owns([jobs])
    // Requests are few and rarely change: any change in their namespace's DataSets, TrainingJobs (a retrain's
    // progress, a model trained on an affected version) or ModelDeployments (which model they serve) requeues them.
    .watches(dataSets, (ds) =>
      erasureRequests
        .list()
        .filter((r) => r.metadata?.namespace === ds.metadata?.namespace && r.spec.dataSetRef.name === ds.metadata?.name)
        .map((r) => `${r.metadata?.namespace}/${r.metadata?.name}`),
    )
    .watches(trainingJobs, inNamespace)
    .watches(modelDeployments, inNamespace);
  mgr.reports.router.register("ErasureRequest", reconciler.handleReport);
  return controller;
}
