// DataSet's SetupWithManager: its caches (DataSets, and the Jobs and ServiceAccounts it owns, by label), the
// controller, and its handler on the report endpoint.
import type { Controller } from "../controller/controller.js";
import { RESOURCES } from "../kube/resources.js";
import type { Manager } from "../manager.js";
import { LABEL_DATASET } from "./names.js";
import { DataSetReconciler } from "./reconciler.js";

export function setupDataSet(mgr: Manager): Controller {
  const dataSets = mgr.cache(RESOURCES.DataSet);
  const jobs = mgr.cache(RESOURCES.Job, { labelSelector: LABEL_DATASET });
  const serviceAccounts = mgr.cache(RESOURCES.ServiceAccount, { labelSelector: LABEL_DATASET });
  let controller: Controller | undefined;
  const vault = mgr.config.vault;
  const reconciler = new DataSetReconciler({
    client: mgr.client,
    dataSets,
    jobs,
    serviceAccounts,
    events: mgr.events,
    runtimeImage: mgr.config.runtimeImage,
    ...(mgr.reports.settings ? { report: mgr.reports.settings } : {}),
    ...(vault ? { vault } : {}),
    enqueue: (key) => controller?.queue.add(key),
  });
  controller = mgr.controller(reconciler, dataSets).owns([jobs, serviceAccounts]);
  mgr.reports.router.register("DataSet", reconciler.handleReport);
  return controller;
}
