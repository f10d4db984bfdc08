// Reconciles one TrainingJob: wait for its DataSet's version, apply its ServiceAccount and training Job (pinned to
// that version), and write status from the Job, its pods and what the pod said; nothing is written when nothing
// changed. Progress is written by the report handler (progress.ts), not here.
import type { Logger } from "pino";
import type { DataSet, TrainingJob } from "../api/v1alpha1/index.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../controller/controller.js";
import type { EventRecorder } from "../controller/events.js";
import type { ObjectCache } from "../controller/informer.js";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import type { Job, Pod, ServiceAccount } from "../kube/models.js";
import { apiVersionOf, RESOURCES } from "../kube/resources.js";
import { isSubset } from "../kube/semantic.js";
import { keyOf, splitKey } from "../kube/types.js";
import type { DesiredObject } from "../modeldeployment/desired.js";
import { Reason, ReconcileFailure, stalled } from "../reasons.js";
import { ReportRejected } from "../report/identity.js";
import type { ReportSettings } from "../report/pod-spec.js";
import type { ReportUpdate } from "../report/router.js";
import type { ReportRun } from "../report/run-owner.js";
import { stableStringify } from "../util/stable-json.js";
import type { VaultSettings } from "../vault/pod-identity.js";
import { type DataVersion, dataVersionOf, desiredObjects, jobReadsEncrypted, outputOf } from "./desired.js";
import { ANNOTATION_DATASET_DIGEST, LABEL_TJ, trainingNames } from "./names.js";
import { checked, outcomeOfPods, TrainProgress } from "./outcome.js";
import type { ProgressWriter } from "./progress.js";
import { computeStatus } from "./status.js";

export interface TrainingJobCaches {
  trainingJobs: ObjectCache<TrainingJob>;
  dataSets: ObjectCache<DataSet>;
  jobs: ObjectCache<Job>;
  serviceAccounts: ObjectCache<ServiceAccount>;
  pods: ObjectCache<Pod>;
}

export interface TrainingJobReconcilerOptions {
  client: KubeClient;
  caches: TrainingJobCaches;
  events: EventRecorder;
  runtimeImage: string;
  progress: ProgressWriter;
  report?: ReportSettings;
  /** Where pods find Vault (operator --vault-addr): needed to train on an encrypted DataSet. */
  vault?: VaultSettings;
  now?: () => string;
}

const isReady = (ds: DataSet | undefined) =>
  ds?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True" && Boolean(ds.status?.digest);

/** The version a live Job was pinned to (its annotation), on the DataSet's claim and output path. */
function pinnedVersion(job: Job, ds: DataSet | undefined, fallback: DataVersion | undefined): DataVersion | undefined {
  const digest = job.metadata?.annotations?.[ANNOTATION_DATASET_DIGEST];
  if (!digest) return fallback;
  // Encrypted or not as the Job was made (its pod template cannot change), whatever the DataSet's spec says now.
  const encrypted = jobReadsEncrypted(job);
  if (ds) {
    const v = dataVersionOf({ ...ds, status: { ...ds.status, digest } });
    return v && { ...v, encrypted };
  }
  return fallback && { ...fallback, digest, encrypted };
}

export class TrainingJobReconciler implements Reconciler {
  readonly kind = RESOURCES.TrainingJob.kind;
  private readonly now: () => string;

  constructor(private readonly o: TrainingJobReconcilerOptions) {
    this.now = o.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, "Z"));
  }

  async reconcile(key: string, { log }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const cached = this.o.caches.trainingJobs.get(key);
    const { namespace = "", name } = splitKey(key);
    if (!cached || cached.metadata?.deletionTimestamp) {
      this.o.progress.forget(namespace, name);
      return undefined; // the Job and its pods go with it (owner references)
    }
    const tj = structuredClone(cached);
    const ds = this.o.caches.dataSets.get(`${namespace}/${tj.spec.dataSetRef.name}`);
    const names = trainingNames(name);
    let job = this.o.caches.jobs.get(`${namespace}/${names.job}`);
    const finished = tj.status?.phase === "Succeeded" || tj.status?.phase === "Failed";
    let data = job ? pinnedVersion(job, ds, undefined) : isReady(ds) ? dataVersionOf(ds) : undefined;
    let waiting: { reason: string; message: string } | undefined;
    let failure: ReconcileFailure | undefined;
    if (!job && !finished && !data) {
      const why = !ds ? "does not exist" : "is not Ready yet";
      waiting = {
        reason: Reason.DataSetNotReady,
        message: `DataSet ${tj.spec.dataSetRef.name} ${why}; training starts when it is`,
      };
    }
    if (!job && !finished && data?.encrypted && !this.o.vault) {
      waiting = {
        reason: Reason.VaultUnreachable,
        message: `DataSet ${tj.spec.dataSetRef.name} is encrypted, but the operator runs without --vault-addr, so the training pod could not unwrap its data key; start the operator with --vault-addr`,
      };
      data = undefined;
    }
    if (data && !(finished && !job)) {
      const desired = desiredObjects(tj, {
        runtimeImage: this.o.runtimeImage,
        data,
        ...(this.o.report ? { report: this.o.report } : {}),
        ...(this.o.vault ? { vault: this.o.vault } : {}),
      });
      for (const d of desired) {
        try {
          const applied = await this.applyChild(d, log);
          if (d.resource === RESOURCES.Job) job = applied as Job;
        } catch (err) {
          if (!(err instanceof ReconcileFailure)) throw err;
          failure = err;
          break;
        }
      }
    } else data = undefined;
    const pods = this.o.caches.pods
      .list()
      .filter((p) => p.metadata?.namespace === namespace && p.metadata?.labels?.[LABEL_TJ] === name);
    const out = data ? outputOf(tj, data) : undefined;
    const status = computeStatus(
      tj,
      {
        ...(waiting ? { waiting } : {}),
        ...(failure ? { failure } : {}),
        ...(job ? { job } : {}),
        pods,
        ...(() => {
          const outcome = outcomeOfPods(pods);
          return outcome ? { outcome } : {};
        })(),
        ...(data ? { data } : {}),
        ...(out ? { outputUri: `pvc://${out.claim}/${out.path}` } : {}),
      },
      this.now,
    );
    const { progress: _p, ...current } = tj.status ?? {};
    if (stableStringify(status) !== stableStringify(current)) {
      // The pod's last report (held by the 5 s throttle) lands before the status that says the run is over.
      if (status.phase === "Succeeded" || status.phase === "Failed") await this.o.progress.flushNow(namespace, name);
      try {
        await this.o.client.apply(
          RESOURCES.TrainingJob,
          { apiVersion: apiVersionOf(RESOURCES.TrainingJob), kind: this.kind, metadata: { name, namespace }, status },
          "status",
        );
      } catch (err) {
        // Deleted between the cache read and this write: nothing left to report on.
        if (!(err instanceof KubeApiError && err.code === 404)) throw err;
        log.debug("gone before its status was written");
        this.o.progress.forget(namespace, name);
        return undefined;
      }
      const ready = status.conditions?.find((c) => c.type === "Ready");
      const before = tj.status?.conditions?.find((c) => c.type === "Ready");
      if (ready && (ready.reason !== before?.reason || ready.status !== before?.status)) {
        const type = status.phase === "Failed" ? "Warning" : "Normal";
        await this.o.events.record(tj, type, ready.reason, ready.message);
      }
    }
    return undefined;
  }

  private async applyChild(d: DesiredObject, log: Logger) {
    const current = (d.resource === RESOURCES.Job ? this.o.caches.jobs : this.o.caches.serviceAccounts).get(
      keyOf(d.object),
    );
    if (current && isSubset(d.object, current)) return current;
    try {
      const applied = await this.o.client.apply(d.resource, d.object);
      log.info({ child: `${d.resource.plural}/${keyOf(d.object)}` }, current ? "updated child" : "created child");
      return applied;
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.code < 400 || err.code >= 500 || err.code === 409 || err.code === 429)
        throw err;
      const message = `cannot apply ${d.resource.kind} ${d.object.metadata?.name}: ${err.status?.message ?? err.message}`;
      throw stalled(Reason.ApplyFailed, message);
    }
  }

  /** Progress reports from the training pod (the outcome comes from its termination message). */
  handleReport = async (run: ReportRun, update: ReportUpdate, _log: Logger): Promise<void> => {
    const key = `${run.namespace}/${run.name}`;
    const tj = this.o.caches.trainingJobs.get(key);
    if (!tj || tj.metadata?.uid !== run.uid) throw new ReportRejected(`TrainingJob ${key} no longer exists`, 404);
    const progress = checked(TrainProgress, update.data?.progress);
    if (update.data?.progress !== undefined && !progress) {
      throw new ReportRejected("bad TrainingJob progress: expected epoch, epochs, percentage and numbers", 400);
    }
    if (progress) this.o.progress.offer(run.namespace, run.name, progress);
  };
}
