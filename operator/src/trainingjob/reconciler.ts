// Reconciles one TrainingJob: wait for its DataSet's version, apply its ServiceAccount and training Job (pinned to
// that version), and write status from the Job, its pods and what the pod said; nothing is written when nothing
// changed. Progress is written by the report handler (progress.ts), not here.

import type { Logger } from "pino";
import type { DataSet, ErasureRequest, TrainingJob, TrainingJobStatus } from "../api/v1alpha1/index.js";
import { controlledBy, notControlledMessage } from "../children/child.js";
import { findCondition, isConditionTrue } from "../controller/conditions.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../controller/controller.js";
import type { EventRecorder } from "../controller/events.js";
import type { ObjectCache } from "../controller/informer.js";
import { type ApplyOutcome, applyIfDiffers, isPermanentRefusal, refusedChild } from "../kube/apply.js";
import { type ApplyBody, KubeApiError, type KubeClient } from "../kube/client.js";
import type { Job, Pod, ServiceAccount } from "../kube/models.js";
import { apiVersionOf, RESOURCES } from "../kube/resources.js";
import { type KubeObject, keyOf, splitKey } from "../kube/types.js";
import { ConditionType, Reason, type ReconcileFailure, stalled } from "../reasons.js";
import { ReportRejected } from "../report/identity.js";
import type { ReportSettings } from "../report/pod-spec.js";
import type { ReportUpdate } from "../report/router.js";
import type { ReportRun } from "../report/run-owner.js";
import { stableStringify } from "../util/stable-json.js";
import type { VaultSettings } from "../vault/pod-identity.js";
import {
  type DataVersion,
  dataVersionOf,
  desiredObjects,
  jobDataVersion,
  jobReadsEncrypted,
  outputOf,
  outputUriOf,
  podDataVersion,
  podReadsEncrypted,
  type TrainingContext,
  trainingNeedsVault,
} from "./desired.js";
import { erasureCondition, withErasureCondition } from "./erasure.js";
import { jobUpdate } from "./job-update.js";
import { ANNOTATION_DATASET_DIGEST, LABEL_TJ, trainingNames, workerPodName } from "./names.js";
import { checked, outcomeOfPods, TrainProgress } from "./outcome.js";
import type { ProgressWriter } from "./progress.js";
import { type GroupPlan, groupView, planGroup } from "./pytorch/group.js";
import type { WorkerGroup } from "./pytorch/group-client.js";
import { groupOutcome, jobViewOf } from "./pytorch/job-view.js";
import { workersStatus } from "./pytorch/workers-status.js";
import { computeStatus } from "./status.js";

/** How often a pytorch group that did not fit (the gang check) looks for room again. */
const GANG_RETRY_MS = 15_000;

interface TrainingJobCaches {
  trainingJobs: ObjectCache<TrainingJob>;
  dataSets: ObjectCache<DataSet>;
  jobs: ObjectCache<Job>;
  serviceAccounts: ObjectCache<ServiceAccount>;
  pods: ObjectCache<Pod>;
  /** ErasureRequests: a finished model trained on a version one rewrote is flagged ErasurePending (erasure.ts). */
  erasureRequests?: ObjectCache<ErasureRequest>;
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
  /** The operator's --egress-allow: pods that fetch over http(s) get it as LIFTOFF_EGRESS_ALLOW. */
  egressAllow?: string;
  /** The operator's --progress-interval (ms), passed to the training pods. */
  progressIntervalMs?: number;
  /** Creates and deletes pytorch worker pods (the gang check included). */
  group?: WorkerGroup;
  now?: () => string;
}

const isReady = (ds: DataSet | undefined) =>
  isConditionTrue(ds?.status?.conditions, ConditionType.Ready) && Boolean(ds?.status?.digest);

/** What resolve decided: the Job and the data version to apply, or why training must wait. */
interface Resolved {
  /** The live Job, if there is one. */
  job?: Job;
  /** The DataSet version to apply the children for; none when there is nothing to apply. */
  data?: DataVersion | undefined;
  waiting?: { reason: string; message: string };
}

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

/** Succeeded or Failed: the run is over and its status is final. */
function isFinished(tj: TrainingJob): boolean {
  return tj.status?.phase === "Succeeded" || tj.status?.phase === "Failed";
}

export class TrainingJobReconciler implements Reconciler {
  readonly kind = RESOURCES.TrainingJob.kind;
  private readonly now: () => string;

  constructor(private readonly o: TrainingJobReconcilerOptions) {
    this.now = o.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, "Z"));
  }

  async reconcile(key: string, { log, signal }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const cached = this.o.caches.trainingJobs.get(key);
    const { namespace = "", name } = splitKey(key);
    if (!cached || cached.metadata?.deletionTimestamp) {
      this.o.progress.forget(namespace, name);
      return undefined; // the Job and its pods go with it (owner references)
    }
    const tj = structuredClone(cached);
    // A finished run is history: its status and artifact never change again, whatever its inputs or this
    // operator's flags (another operator may have finished it), and nothing it owned is applied again.
    if (isFinished(tj)) {
      this.o.progress.forget(namespace, name);
      await this.flagErasure(tj, signal);
      return undefined;
    }
    if (tj.spec.pytorch) return this.reconcileGroup(tj, log, signal);
    const { job, data, waiting } = this.resolve(tj);
    const applied = data ? await this.applyChildren(tj, data, log, signal) : {};
    const status = this.observe(tj, { job: applied.job ?? job, data, waiting, failure: applied.failure });
    await this.write(tj, status, log, signal);
    return undefined;
  }

  /**
   * The one change a finished run's status still takes: ErasurePending, from the ErasureRequests that found data
   * subjects' rows in the version its model learnt from (its artifact and lineage stay as they are).
   */
  private async flagErasure(tj: TrainingJob, signal: AbortSignal): Promise<void> {
    const { namespace = "", name = "" } = tj.metadata ?? {};
    const cond = erasureCondition(tj, this.o.caches.erasureRequests?.list() ?? []);
    const conditions = withErasureCondition(tj.status?.conditions, cond, tj.metadata?.generation, this.now);
    if (stableStringify(conditions) === stableStringify(tj.status?.conditions ?? [])) return;
    await this.o.client.mergePatch(RESOURCES.TrainingJob, namespace, name, { status: { conditions } }, "status", {
      signal,
    });
    if (cond) await this.o.events.record(tj, "Warning", cond.reason, cond.message);
  }

  /** The live Job and the data it trains on, or why it waits (the DataSet, or Vault for encrypted data). */
  private resolve(tj: TrainingJob): Resolved {
    const { namespace = "", name = "" } = tj.metadata ?? {};
    const ds = this.o.caches.dataSets.get(`${namespace}/${tj.spec.dataSetRef.name}`);
    const job = this.o.caches.jobs.get(`${namespace}/${trainingNames(name).job}`);
    // Found by name only: a Job this TrainingJob does not control is never read, updated or trusted for its data.
    if (job && !controlledBy(job, tj)) {
      return {
        waiting: {
          reason: Reason.ApplyFailed,
          message: notControlledMessage("Job", trainingNames(name).job, "TrainingJob"),
        },
      };
    }
    if (job) return { job, data: pinnedVersion(job, ds, jobDataVersion(job)) };
    // A DataSet being deleted starts no new training (a run that has started keeps it: dataset/in-use.ts).
    const data = isReady(ds) && !ds?.metadata?.deletionTimestamp ? dataVersionOf(ds) : undefined;
    if (!data) {
      const ref = tj.spec.dataSetRef.name;
      const message = ds?.metadata?.deletionTimestamp
        ? `DataSet ${ref} is being deleted, so training does not start; create it again once it is gone, or train on another DataSet`
        : `DataSet ${ref} ${ds ? "is not Ready yet" : "does not exist"}; training starts when it is`;
      return { waiting: { reason: Reason.DataSetNotReady, message } };
    }
    if (trainingNeedsVault(tj, data) && !this.o.vault) {
      const why = data.encrypted
        ? `DataSet ${tj.spec.dataSetRef.name} is encrypted, but the operator runs without --vault-addr, so the training pod could not unwrap its data key`
        : "the storage's credentials are in Vault, but the operator runs without --vault-addr, so the training pod could not read its S3 keys";
      return { waiting: { reason: Reason.VaultUnreachable, message: `${why}; start the operator with --vault-addr` } };
    }
    return { data };
  }

  /**
   * A pytorch run: its worker group (pytorch/group.ts) instead of a Job — the gang check before a group starts,
   * worker 0 then the others, the whole group again from its checkpoint when a worker is lost — and the status the
   * group's Job view gives.
   */
  private async reconcileGroup(
    tj: TrainingJob,
    log: Logger,
    signal: AbortSignal,
  ): Promise<ReconcileResult | undefined> {
    const pods = this.podsOf(tj);
    const view = groupView(pods);
    const { data, waiting } = this.resolveGroup(tj, pods);
    let failure: ReconcileFailure | undefined;
    let held: { reason: string; message: string } | undefined;
    let plan: GroupPlan = { action: "wait" };
    if (data) {
      failure = (await this.applyChildren(tj, data, log, signal)).failure;
      if (!failure) {
        plan = planGroup(tj, view, new Date(), tj.status?.workers?.attempt ?? -1);
        held = await this.o.group?.carryOut(tj, view, plan, this.context(data), log, signal);
      }
    }
    const status = computeStatus(
      tj,
      {
        job: jobViewOf(tj, view, plan, this.now()),
        data,
        waiting: held ?? waiting,
        failure,
        pods,
        outcome: groupOutcome(view, plan),
        outputUri: data ? outputUriOf(outputOf(tj, data)) : undefined,
      },
      this.now,
    );
    const workers = workersStatus(tj, view, plan);
    await this.write(tj, workers ? { ...status, workers } : status, log, signal);
    // The gang check has no watch to wake it (room frees up on other objects' pods): look again in a while.
    return held ? { requeueAfterMs: GANG_RETRY_MS } : undefined;
  }

  /** This TrainingJob's pods (the Job's, or a pytorch run's workers). */
  private podsOf(tj: TrainingJob): Pod[] {
    const { namespace = "", name = "" } = tj.metadata ?? {};
    return this.o.caches.pods
      .list()
      .filter((p) => p.metadata?.namespace === namespace && p.metadata?.labels?.[LABEL_TJ] === name);
  }

  /** The version a pytorch run trains on: the one its workers were pinned to, else the DataSet's as for a Job. */
  private resolveGroup(tj: TrainingJob, pods: Pod[]): Resolved {
    const { namespace = "" } = tj.metadata ?? {};
    const worker = pods.find((p) => p.metadata?.annotations?.[ANNOTATION_DATASET_DIGEST] && controlledBy(p, tj));
    if (worker) {
      const ds = this.o.caches.dataSets.get(`${namespace}/${tj.spec.dataSetRef.name}`);
      const fromPod = podDataVersion(worker.spec);
      const digest = worker.metadata?.annotations?.[ANNOTATION_DATASET_DIGEST] ?? "";
      const v = ds ? dataVersionOf({ ...ds, status: { ...ds.status, digest } }) : fromPod;
      return { data: v && { ...v, encrypted: podReadsEncrypted(worker.spec) } };
    }
    return this.resolve(tj);
  }

  /** Applies the ServiceAccount and the Job, in order, each only if it differs; stops at a permanent refusal. */
  private async applyChildren(
    tj: TrainingJob,
    data: DataVersion,
    log: Logger,
    signal: AbortSignal,
  ): Promise<{ job?: Job | undefined; failure?: ReconcileFailure }> {
    const desired = desiredObjects(tj, this.context(data));
    let job: Job | undefined;
    for (const d of desired) {
      const cache = d.resource === RESOURCES.Job ? this.o.caches.jobs : this.o.caches.serviceAccounts;
      const current = cache.get(keyOf(d.object));
      const out =
        d.resource === RESOURCES.Job && current
          ? await this.updateJob(d.object as ApplyBody<Job>, current as Job, signal)
          : await applyIfDiffers(this.o.client, d.resource, d.object, current, { signal });
      if (out.result === "refused") {
        const why = refusedChild(d.resource.kind, d.object.metadata?.name, out.error);
        return { job, failure: stalled(Reason.ApplyFailed, why) };
      }
      if (out.result !== "unchanged") {
        log.info({ child: `${d.resource.plural}/${keyOf(d.object)}` }, `${out.result} child`);
      }
      if (d.resource === RESOURCES.Job) job = out.object as Job;
    }
    return { job };
  }

  /** What the training pods are built from, besides the TrainingJob. */
  private context(data: DataVersion): TrainingContext {
    return {
      runtimeImage: this.o.runtimeImage,
      data,
      report: this.o.report,
      vault: this.o.vault,
      egressAllow: this.o.egressAllow,
      progressIntervalMs: this.o.progressIntervalMs,
    };
  }

  /** An existing Job: its template as it was made (see job-update.ts), its run policy as the spec says now. */
  private async updateJob(desired: ApplyBody<Job>, live: Job, signal: AbortSignal): Promise<ApplyOutcome<KubeObject>> {
    const update = jobUpdate(desired, live);
    if (update.action === "apply") return applyIfDiffers(this.o.client, RESOURCES.Job, desired, live, { signal });
    if (update.action === "keep") return { result: "unchanged", object: live };
    const { namespace, name = "" } = live.metadata ?? {};
    try {
      const object = await this.o.client.mergePatch(RESOURCES.Job, namespace, name, update.patch, undefined, {
        signal,
      });
      return { result: "updated", object, wrote: object.metadata?.resourceVersion !== live.metadata?.resourceVersion };
    } catch (err) {
      if (isPermanentRefusal(err)) return { result: "refused", error: err };
      throw err;
    }
  }

  /** The status the Job, its pods and their termination messages show. */
  private observe(
    tj: TrainingJob,
    o: {
      job?: Job | undefined;
      data?: DataVersion | undefined;
      waiting?: Resolved["waiting"] | undefined;
      failure?: ReconcileFailure | undefined;
    },
  ): TrainingJobStatus {
    const pods = this.podsOf(tj);
    const out = o.data ? outputOf(tj, o.data) : undefined;
    return computeStatus(
      tj,
      {
        ...o,
        pods,
        outcome: outcomeOfPods(pods),
        outputUri: out ? outputUriOf(out) : undefined,
      },
      this.now,
    );
  }

  /** Writes the status when it changed (progress aside), and an Event when Ready changes. */
  private async write(tj: TrainingJob, status: TrainingJobStatus, log: Logger, signal: AbortSignal): Promise<void> {
    const { namespace = "", name = "" } = tj.metadata ?? {};
    const { progress: _p, ...current } = tj.status ?? {};
    if (stableStringify(status) === stableStringify(current)) return;
    // The pod's last report (held by the 5 s throttle) lands before the status that says the run is over.
    if (status.phase === "Succeeded" || status.phase === "Failed") {
      const etaShown = tj.status?.progress?.estimatedRemainingSeconds !== undefined;
      await this.o.progress.finish(namespace, name, etaShown);
    }
    try {
      await this.o.client.apply(
        RESOURCES.TrainingJob,
        { apiVersion: apiVersionOf(RESOURCES.TrainingJob), kind: this.kind, metadata: { name, namespace }, status },
        "status",
        { signal },
      );
    } catch (err) {
      // Deleted between the cache read and this write: nothing left to report on.
      if (!(err instanceof KubeApiError && err.code === 404)) throw err;
      log.debug("gone before its status was written");
      this.o.progress.forget(namespace, name);
      return;
    }
    const ready = findCondition(status.conditions, ConditionType.Ready);
    const before = findCondition(tj.status?.conditions, ConditionType.Ready);
    if (ready && (ready.reason !== before?.reason || ready.status !== before?.status)) {
      const type = status.phase === "Failed" ? "Warning" : "Normal";
      await this.o.events.record(tj, type, ready.reason, ready.message);
    }
  }

  /** Progress reports from the training pod (the outcome comes from its termination message). */
  handleReport = async (run: ReportRun, update: ReportUpdate, _log: Logger): Promise<void> => {
    const key = `${run.namespace}/${run.name}`;
    const tj = this.o.caches.trainingJobs.get(key);
    if (!tj || tj.metadata?.uid !== run.uid) throw new ReportRejected(`TrainingJob ${key} no longer exists`, 404);
    if (isFinished(tj)) return; // its status is final: a late report changes nothing
    // A pytorch run: only the current attempt's worker 0 speaks for it — a lost attempt's worker may still be
    // retrying an older epoch's report, which must not overwrite the newer group's progress.
    if (tj.spec.pytorch && run.pod.name !== workerPodName(run.name, groupView(this.podsOf(tj)).attempt, 0)) return;
    const progress = checked(TrainProgress, update.data?.progress);
    if (update.data?.progress !== undefined && !progress) {
      throw new ReportRejected("bad TrainingJob progress: expected epoch, epochs, percentage and numbers", 400);
    }
    if (progress) this.o.progress.offer(run.namespace, run.name, progress);
  };
}
