// ModelDeployment's SetupWithManager: the caches it reads, its controller, and which changes requeue which keys.
import type { DataSet, ModelDeployment, TrainingJob, TrainingSearch } from "../api/v1alpha1/index.js";
import { METRICS_API_SERVICES, metricsAPIsOf } from "../capabilities.js";
import { MANAGED_BY } from "../children/labels.js";
import type { Controller } from "../controller/controller.js";
import type { ObjectCache } from "../controller/informer.js";
import { nodeSchedulingChanged } from "../controller/predicates.js";
import { ANNOTATION_RETRAIN_OF } from "../erasurerequest/names.js";
import type { APIService, HorizontalPodAutoscaler, Pod } from "../kube/models.js";
import { RESOURCES } from "../kube/resources.js";
import { keyOf } from "../kube/types.js";
import type { Manager } from "../manager.js";
import { LABEL_SEARCH } from "../trainingsearch/names.js";
import { judge } from "./loop/judge.js";
import { LABEL_LOOP } from "./loop/names.js";
import { MonitoringSnapshots } from "./monitoring/snapshots.js";
import { LABEL_MDEP, selectorString } from "./names.js";
import { ModelDeploymentReconciler, ownedKinds } from "./reconciler.js";
import { bestTrainingJob } from "./search-source.js";

/** The ModelDeployment a serving pod belongs to (by label: pods are owned by ReplicaSets, not by it). */
function podOwnerKey(pod: Pod): string[] {
  const name = pod.metadata?.labels?.[LABEL_MDEP];
  return name && pod.metadata?.namespace ? [`${pod.metadata.namespace}/${name}`] : [];
}

/** ModelDeployments whose stable or canary model comes from this TrainingJob (or from the search it is a trial of). */
function referencingTrainingJob(mdeps: ObjectCache<ModelDeployment>, tj: TrainingJob): string[] {
  const search = tj.metadata?.labels?.[LABEL_SEARCH];
  return mdeps
    .list()
    .filter((m) => m.metadata?.namespace === tj.metadata?.namespace)
    .filter(
      (m) =>
        [m.spec.model.trainingJobRef?.name, m.spec.canary?.model?.trainingJobRef?.name].includes(tj.metadata?.name) ||
        namesSearch(m, search),
    )
    .map(keyOf);
}

/** Whether spec.model or canary.model names this TrainingSearch. */
function namesSearch(m: ModelDeployment, search: string | undefined): boolean {
  return (
    search !== undefined &&
    [m.spec.model.trainingSearchRef?.name, m.spec.canary?.model?.trainingSearchRef?.name].includes(search)
  );
}

/** ModelDeployments whose stable or canary model is this TrainingSearch's best (search-source.ts). */
function referencingSearch(mdeps: ObjectCache<ModelDeployment>, search: TrainingSearch): string[] {
  return mdeps
    .list()
    .filter((m) => m.metadata?.namespace === search.metadata?.namespace && namesSearch(m, search.metadata?.name))
    .map(keyOf);
}

/** The ModelDeployment whose loop made this DataSet or TrainingJob (its controller owner), so progress requeues it. */
function loopOwner(obj: DataSet | TrainingJob): string[] {
  const ref = obj.metadata?.ownerReferences?.find((r) => r.controller && r.kind === RESOURCES.ModelDeployment.kind);
  return ref && obj.metadata?.namespace && obj.metadata.labels?.[LABEL_LOOP]
    ? [`${obj.metadata.namespace}/${ref.name}`]
    : [];
}

/**
 * An ErasureRequest's retrain: the ModelDeployments serving the TrainingJob it retrains roll it out (loop/runner.ts),
 * those serving it as a search's best trial too.
 */
function retrainedFor(
  mdeps: ObjectCache<ModelDeployment>,
  searches: ObjectCache<TrainingSearch>,
  tj: TrainingJob,
): string[] {
  const of = tj.metadata?.annotations?.[ANNOTATION_RETRAIN_OF];
  if (!of) return [];
  const ns = tj.metadata?.namespace;
  const bestOf = (search: string | undefined) =>
    search === undefined ? undefined : bestTrainingJob(searches.get(`${ns}/${search}`));
  return mdeps
    .list()
    .filter(
      (m) =>
        m.metadata?.namespace === ns &&
        (m.spec.model.trainingJobRef?.name === of ||
          bestOf(m.spec.model.trainingSearchRef?.name) === of ||
          m.status?.loop?.promoted?.trainingJob === of),
    )
    .map(keyOf);
}

/** A node's GPUs only matter to ModelDeployments that ask for GPUs. */
function requestingGPUs(mdeps: ObjectCache<ModelDeployment>): string[] {
  return mdeps
    .list()
    .filter((m) => (m.spec.resources?.gpu ?? 0) > 0)
    .map(keyOf);
}

/**
 * The ModelDeployment of the HPA KEDA made for one of its ScaledObjects: KEDA copies the ScaledObject's labels onto
 * it (so it is in the managed-by cache), but its controller is the ScaledObject, not the ModelDeployment.
 */
function kedaHpaOwnerKey(hpa: HorizontalPodAutoscaler): string[] {
  const m = hpa.metadata;
  const byKeda = m?.ownerReferences?.some((r) => r.controller && r.kind === "ScaledObject");
  const name = m?.labels?.[LABEL_MDEP];
  return byKeda && name && m?.namespace ? [`${m.namespace}/${name}`] : [];
}

/** A metrics API's APIService changes what autoscaling can use: every ModelDeployment with autoscaling rechecks. */
function autoscaled(mdeps: ObjectCache<ModelDeployment>, svc: APIService): string[] {
  const names: readonly string[] = Object.values(METRICS_API_SERVICES);
  if (!names.includes(svc.metadata?.name ?? "")) return [];
  return mdeps
    .list()
    .filter((m) => m.spec.autoscaling)
    .map(keyOf);
}

/** ModelDeployments whose drift baseline is this DataSet's statistics. */
function referencingDataSet(mdeps: ObjectCache<ModelDeployment>, ds: DataSet): string[] {
  return mdeps
    .list()
    .filter((m) => m.metadata?.namespace === ds.metadata?.namespace)
    .filter(
      (m) =>
        m.spec.monitoring?.drift?.baselineDataSetRef?.name === ds.metadata?.name ||
        m.spec.capture?.dataSetRef?.name === ds.metadata?.name,
    )
    .map(keyOf);
}

export function setupModelDeployment(mgr: Manager): Controller {
  const modelDeployments = mgr.cache(RESOURCES.ModelDeployment);
  const trainingJobs = mgr.cache(RESOURCES.TrainingJob);
  const pods = mgr.cache(RESOURCES.Pod, { labelSelector: LABEL_MDEP });
  const nodes = mgr.cache(RESOURCES.Node);
  const dataSets = mgr.cache(RESOURCES.DataSet);
  const trainingSearches = mgr.cache(RESOURCES.TrainingSearch);
  const managed = selectorString(MANAGED_BY);
  const owned = ownedKinds(mgr.capabilities).map((r) => mgr.cache(r, { labelSelector: managed }));
  const hpas = mgr.cache(RESOURCES.HorizontalPodAutoscaler, { labelSelector: managed });
  // Metrics APIs come and go (metrics-server starting after the operator): followed, not only detected at start.
  const apiServices = mgr.cache(RESOURCES.APIService);
  const activator = mgr.config.activator;
  // Drift and feedback counts the serving pods push to the report endpoint, merged every period; a changed merge
  // requeues the key.
  let enqueue: (key: string) => void = () => undefined;
  const snapshots = new MonitoringSnapshots({
    periodSeconds: mgr.config.monitoringPeriodSeconds,
    modelDeployments: () => modelDeployments.list(),
    pods: () => pods.list(),
    changed: (key) => enqueue(key),
    reporting: mgr.reports.settings !== undefined,
    log: mgr.log,
    ...(mgr.metrics ? { trackAccuracy: mgr.metrics.trackAccuracy } : {}),
  });
  mgr.runnable(snapshots);
  mgr.reports.router.registerSnapshots(RESOURCES.ModelDeployment.kind, snapshots.receive);
  const reconciler = new ModelDeploymentReconciler({
    client: mgr.client,
    caches: { modelDeployments, trainingJobs, pods, nodes, dataSets, trainingSearches, owned },
    monitoring: snapshots,
    ...(mgr.reports.settings
      ? { report: { settings: mgr.reports.settings, periodSeconds: mgr.config.monitoringPeriodSeconds } }
      : {}),
    events: mgr.events,
    runtimeImage: mgr.config.runtimeImage,
    capabilities: mgr.capabilities,
    ...(mgr.config.vault ? { vault: mgr.config.vault } : {}),
    ...(mgr.config.egressAllow ? { egressAllow: mgr.config.egressAllow } : {}),
    modelCache: mgr.config.modelCache,
    ...(mgr.config.autoscaling
      ? {
          autoscaling: {
            ...mgr.config.autoscaling,
            activatorAddresses: () => activator?.advertise,
          },
        }
      : {}),
    metricsAPIs: () => (apiServices.list().length > 0 ? metricsAPIsOf(apiServices.list()) : undefined),
    loop: {
      periodSeconds: mgr.config.monitoringPeriodSeconds,
      figures: (key, track) => snapshots.getTrack(key, track),
      judge,
      ...(mgr.metrics ? { metrics: { stage: mgr.metrics.loopStage, total: mgr.metrics.loopTotal } } : {}),
    },
  });
  const controller = mgr.controller(reconciler, modelDeployments);
  enqueue = (key) => controller.queue.add(key);
  return controller
    .owns(owned)
    .watches(pods, podOwnerKey)
    .watches(hpas, kedaHpaOwnerKey)
    .watches(apiServices, (svc) => autoscaled(modelDeployments, svc))
    .watches(trainingJobs, (tj) => [
      ...referencingTrainingJob(modelDeployments, tj),
      ...loopOwner(tj),
      ...retrainedFor(modelDeployments, trainingSearches, tj),
    ])
    .watches(trainingSearches, (s) => referencingSearch(modelDeployments, s))
    .watches(dataSets, (ds) => [...referencingDataSet(modelDeployments, ds), ...loopOwner(ds)])
    .watches(nodes, () => requestingGPUs(modelDeployments), nodeSchedulingChanged);
}
