// Wires the DataSet controller into the operator: its informers (DataSets, and the Jobs and ServiceAccounts it owns,
// by label), the controller, and its handler on the report endpoint.
import type { Logger } from "pino";
import { Controller, ownerKeyMapper } from "../controller/controller.js";
import type { EventRecorder } from "../controller/events.js";
import type { InformerGroup } from "../controller/informer.js";
import type { KubeClient } from "../kube/client.js";
import { RESOURCES, type ResourceType } from "../kube/resources.js";
import type { OperatorMetrics } from "../metrics.js";
import type { ReportSettings } from "../report/pod-spec.js";
import type { ReportRouter } from "../report/router.js";
import { LABEL_DATASET } from "./names.js";
import { DataSetReconciler } from "./reconciler.js";

export interface DataSetSetup {
  client: KubeClient;
  group: (r: ResourceType, labelSelector?: string) => InformerGroup;
  events: EventRecorder;
  runtimeImage: string;
  report?: ReportSettings;
  router: ReportRouter;
  concurrency: number;
  metrics: OperatorMetrics;
  log: Logger;
  isLeader: () => boolean;
}

export function setupDataSets(s: DataSetSetup): { informers: InformerGroup[]; controller: Controller } {
  const dataSets = s.group(RESOURCES.DataSet);
  const jobs = s.group(RESOURCES.Job, LABEL_DATASET);
  const serviceAccounts = s.group(RESOURCES.ServiceAccount, LABEL_DATASET);
  let controller: Controller | undefined;
  const reconciler = new DataSetReconciler({
    client: s.client,
    dataSets,
    jobs,
    serviceAccounts,
    events: s.events,
    runtimeImage: s.runtimeImage,
    ...(s.report ? { report: s.report } : {}),
    enqueue: (key) => controller?.queue.add(key),
    isLeader: s.isLeader,
  });
  controller = new Controller(reconciler, dataSets, { concurrency: s.concurrency, metrics: s.metrics, log: s.log });
  const toOwner = ownerKeyMapper("DataSet");
  controller.watches(jobs, toOwner).watches(serviceAccounts, toOwner);
  s.router.register("DataSet", reconciler.handleReport);
  return { informers: [dataSets, jobs, serviceAccounts], controller };
}
