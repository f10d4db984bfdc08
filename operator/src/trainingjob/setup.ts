// TrainingJob's SetupWithManager: its caches, its controller, its report handler, and which changes requeue it.
import type { DataSet, TrainingJob } from "../api/v1alpha1/index.js";
import type { Controller } from "../controller/controller.js";
import type { ObjectCache } from "../controller/informer.js";
import { RESOURCES } from "../kube/resources.js";
import { keyOf } from "../kube/types.js";
import type { Manager } from "../manager.js";
import { LABEL_TJ } from "./names.js";
import { ProgressWriter } from "./progress.js";
import { WorkerGroup } from "./pytorch/group-client.js";
import { TrainingJobReconciler } from "./reconciler.js";

/** TrainingJobs that train on this DataSet (they wait for it to become Ready). */
function trainingOn(tjs: ObjectCache<TrainingJob>, ds: DataSet): string[] {
  return tjs
    .list()
    .filter((t) => t.metadata?.namespace === ds.metadata?.namespace && t.spec.dataSetRef.name === ds.metadata?.name)
    .map(keyOf);
}

export function setupTrainingJob(mgr: Manager): Controller {
  const trainingJobs = mgr.cache(RESOURCES.TrainingJob);
  const dataSets = mgr.cache(RESOURCES.DataSet);
  const jobs = mgr.cache(RESOURCES.Job, { labelSelector: LABEL_TJ });
  const serviceAccounts = mgr.cache(RESOURCES.ServiceAccount, { labelSelector: LABEL_TJ });
  const pods = mgr.cache(RESOURCES.Pod, { labelSelector: LABEL_TJ });
  const erasureRequests = mgr.cache(RESOURCES.ErasureRequest);
  const reconciler = new TrainingJobReconciler({
    client: mgr.client,
    caches: { trainingJobs, dataSets, jobs, serviceAccounts, pods, erasureRequests },
    events: mgr.events,
    runtimeImage: mgr.config.runtimeImage,
    progress: new ProgressWriter(
      mgr.client,
      mgr.log.child({ kind: "TrainingJob" }),
      mgr.config.progressIntervalSeconds * 1000,
    ),
    ...(mgr.reports.settings ? { report: mgr.reports.settings } : {}),
    ...(mgr.config.vault ? { vault: mgr.config.vault } : {}),
    ...(mgr.config.egressAllow ? { egressAllow: mgr.config.egressAllow } : {}),
    progressIntervalMs: mgr.config.progressIntervalSeconds * 1000,
    group: new WorkerGroup({ client: mgr.client, events: mgr.events, images: mgr.config.pytorchImages }),
  });
  mgr.reports.router.register(RESOURCES.TrainingJob.kind, reconciler.handleReport);
  const byLabel = (o: { metadata?: { namespace?: string; labels?: Record<string, string> } }) => {
    const name = o.metadata?.labels?.[LABEL_TJ];
    return name && o.metadata?.namespace ? [`${o.metadata.namespace}/${name}`] : [];
  };
  return (
    mgr
      .controller(reconciler, trainingJobs)
      .watches(jobs, byLabel)
      .watches(serviceAccounts, byLabel)
      .watches(pods, byLabel)
      .watches(dataSets, (ds) => trainingOn(trainingJobs, ds))
      // A request's record (found versions, retrains) flags the finished TrainingJobs of its namespace.
      .watches(erasureRequests, (r) =>
        trainingJobs
          .list()
          .filter(
            (t) => t.metadata?.namespace === r.metadata?.namespace && t.spec.dataSetRef.name === r.spec.dataSetRef.name,
          )
          .map(keyOf),
      )
  );
}
