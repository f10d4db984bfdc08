// DataSet's SetupWithManager: its caches (DataSets; the Jobs, ServiceAccounts and prepare pods it owns, by label;
// the TrainingJobs and ModelDeployments that may use it), the controller, and its handler on the report endpoint.
import { setupAccessRecord } from "../access/setup.js";
import type { DataSet, ModelDeployment } from "../api/v1alpha1/index.js";
import type { Controller } from "../controller/controller.js";
import { RESOURCES } from "../kube/resources.js";
import type { Manager } from "../manager.js";
import { LABEL_DATASET } from "./names.js";
import { DataSetReconciler } from "./reconciler.js";
import { published } from "./status.js";

export function setupDataSet(mgr: Manager): Controller {
  const dataSets = mgr.cache(RESOURCES.DataSet);
  const jobs = mgr.cache(RESOURCES.Job, { labelSelector: LABEL_DATASET });
  const serviceAccounts = mgr.cache(RESOURCES.ServiceAccount, { labelSelector: LABEL_DATASET });
  const pods = mgr.cache(RESOURCES.Pod, { labelSelector: LABEL_DATASET });
  const trainingJobs = mgr.cache(RESOURCES.TrainingJob);
  const modelDeployments = mgr.cache(RESOURCES.ModelDeployment);
  const erasureRequests = mgr.cache(RESOURCES.ErasureRequest);
  let controller: Controller | undefined;
  const vault = mgr.config.vault;
  const audit = mgr.config.vaultAudit;
  // Each audit event of a DataSet's version key wakes that DataSet, whose reconcile writes status.access.
  const access = audit ? setupAccessRecord(mgr, audit, (key) => controller?.queue.add(key)) : undefined;
  const reconciler = new DataSetReconciler({
    client: mgr.client,
    dataSets,
    jobs,
    serviceAccounts,
    pods,
    trainingJobs,
    modelDeployments,
    erasureRequests,
    events: mgr.events,
    runtimeImage: mgr.config.runtimeImage,
    ...(mgr.reports.settings ? { report: mgr.reports.settings } : {}),
    ...(vault ? { vault } : {}),
    ...(mgr.config.egressAllow ? { egressAllow: mgr.config.egressAllow } : {}),
    enqueue: (key) => controller?.queue.add(key),
    ...(access ? { access } : {}),
  });
  const byLabel = (o: { metadata?: { namespace?: string; labels?: Record<string, string> } }) => {
    const name = o.metadata?.labels?.[LABEL_DATASET];
    return name && o.metadata?.namespace ? [`${o.metadata.namespace}/${name}`] : [];
  };
  const inNamespace = (o: { metadata?: { namespace?: string } }, name: string | undefined) =>
    name && o.metadata?.namespace ? [`${o.metadata.namespace}/${name}`] : [];
  controller = mgr
    .controller(reconciler, dataSets)
    .owns([jobs, serviceAccounts])
    .watches(pods, byLabel)
    // A DataSet being deleted waits for its users: each change to one (its deletion above all) requeues it.
    .watches(trainingJobs, (tj) => inNamespace(tj, tj.spec.dataSetRef.name))
    // … and a DataSet reading a ModelDeployment's captured traffic waits for it (and its spec.capture) to appear.
    .watches(modelDeployments, (m) => [
      ...inNamespace(m, m.spec.monitoring?.drift?.baselineDataSetRef?.name),
      ...readersOfCapture(m, dataSets.list() as DataSet[]),
    ])
    // An ErasureRequest's record may name a rewrite of the current version.
    .watches(erasureRequests, (r) => inNamespace(r, r.spec.dataSetRef.name));
  mgr.reports.router.register("DataSet", reconciler.handleReport);
  return controller;
}

/**
 * The DataSets in the ModelDeployment's namespace whose source.captured names it and whose generation is not yet
 * published (a published one reads the capture no more; the ModelDeployment's frequent status writes skip it).
 */
function readersOfCapture(m: ModelDeployment, dataSets: readonly DataSet[]): string[] {
  const ns = m.metadata?.namespace;
  return dataSets
    .filter(
      (ds) =>
        ds.metadata?.namespace === ns &&
        ds.spec.source.captured?.modelDeploymentRef.name === m.metadata?.name &&
        !published(ds),
    )
    .map((ds) => `${ns}/${ds.metadata?.name}`);
}
