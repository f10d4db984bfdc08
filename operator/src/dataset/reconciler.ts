// Reconciles one DataSet: finalizer, its ServiceAccount, the current generation's prepare Job (created once; older
// generations' Jobs deleted), status from the Job and the run's report; on deletion a cleanup Job removes the
// versions from the claim before the finalizer is released. Reports arrive through handleReport (the report
// endpoint) and are written by the reconcile of their key, so the status has one writer and no race.
import type { Logger } from "pino";
import type { PendingAccess } from "../access/pending.js";
import { mergeAccess, timeKey } from "../access/summary.js";
import type { DataSet, DataSetStatus, ErasureRequest, ModelDeployment, TrainingJob } from "../api/v1alpha1/index.js";
import { controlledBy, type DesiredObject, notControlledMessage } from "../children/child.js";
import { findCondition } from "../controller/conditions.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../controller/controller.js";
import type { EventRecorder } from "../controller/events.js";
import type { ObjectCache } from "../controller/informer.js";
import { applyIfDiffers, isPermanentRefusal, refusalMessage } from "../kube/apply.js";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import type { Pod } from "../kube/models.js";
import { apiVersionOf, RESOURCES } from "../kube/resources.js";
import { type KubeObject, keyOf } from "../kube/types.js";
import { ConditionType, Reason } from "../reasons.js";
import { ReportRejected } from "../report/identity.js";
import type { ReportSettings } from "../report/pod-spec.js";
import type { ReportUpdate } from "../report/router.js";
import type { ReportRun } from "../report/run-owner.js";
import { awaitStatusWrite } from "../report/status-write.js";
import { stableStringify } from "../util/stable-json.js";
import type { VaultSettings } from "../vault/pod-identity.js";
import { type CaptureResolution, resolveCapture } from "./captured.js";
import { cleanupJob, needsVault, outputUri, prepareJob, pruneJob, serviceAccount } from "./desired.js";
import { followErasures } from "./erasure.js";
import { terminatingStatus, usersOf, versionsInUse } from "./in-use.js";
import { ANNOTATION_GENERATION, dataSetNames, FINALIZER, isPruneJob, LABEL_DATASET } from "./names.js";
import { outcomeOf, type PruneOutcome, pruneOutcomeOf, type RunResult } from "./result.js";
import { computeStatus, published } from "./status.js";
import { agePrune, mergeVersions } from "./versions.js";

export interface DataSetReconcilerOptions {
  client: KubeClient;
  dataSets: ObjectCache;
  jobs: ObjectCache;
  serviceAccounts: ObjectCache;
  /** Prepare pods (why one is Pending: the scheduler's or the kubelet's reason). */
  pods: ObjectCache<Pod>;
  /** Who may still use a DataSet being deleted (in-use.ts). */
  trainingJobs: ObjectCache<TrainingJob>;
  modelDeployments: ObjectCache<ModelDeployment>;
  /** ErasureRequests: a rewrite of the current version becomes the current version (erasure.ts). */
  erasureRequests?: ObjectCache<ErasureRequest>;
  events: EventRecorder;
  runtimeImage: string;
  report?: ReportSettings;
  vault?: VaultSettings;
  /** The operator's --egress-allow: pods that fetch over http(s) get it as LIFTOFF_EGRESS_ALLOW. */
  egressAllow?: string;
  /** Wakes the reconcile of a key (the controller's queue). */
  enqueue?: (key: string) => void;
  /** Audit events of the access record not yet in status.access (operator/src/access/); unset: no record kept. */
  access?: PendingAccess;
  now?: () => string;
  /** How long a report waits for its status write before the pod is told to retry (a non-leader never writes). */
  reportTimeoutMs?: number;
}

/** Why the DataSet cannot progress, as its status will say. */
interface Blocked {
  reason: string;
  message: string;
}

interface Pending {
  result: RunResult;
  done: () => void;
}

export class DataSetReconciler implements Reconciler {
  readonly kind = "DataSet";
  private readonly now: () => string;
  private readonly pending = new Map<string, Pending>();
  /** Prune Jobs' reports waiting for the reconcile that writes them into status.versions. */
  private readonly pendingPrune = new Map<string, { outcome: PruneOutcome; done: () => void }>();

  constructor(private readonly o: DataSetReconcilerOptions) {
    this.now = o.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, "Z"));
  }

  async reconcile(key: string, { log, signal }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const cached = this.o.dataSets.get(key) as DataSet | undefined;
    if (!cached) {
      this.o.access?.forget(key);
      return undefined;
    }
    const ds = structuredClone(cached);
    if (ds.metadata?.deletionTimestamp) return this.finalize(ds, log, signal);
    if (!ds.metadata?.finalizers?.includes(FINALIZER)) {
      await this.o.client.mergePatch(
        RESOURCES.DataSet,
        ds.metadata?.namespace,
        ds.metadata?.name ?? "",
        {
          metadata: {
            finalizers: [...(ds.metadata?.finalizers ?? []), FINALIZER],
            resourceVersion: ds.metadata?.resourceVersion,
          },
        },
        undefined,
        { signal },
      );
      return undefined; // the update event brings it back
    }
    const capture = resolveCapture(ds, (ns, name) => this.o.modelDeployments.get(`${ns}/${name}`));
    const { job, blocked } = await this.applyChildren(ds, this.blockedNewWork(ds, capture), capture, log, signal);
    const pending = this.pending.get(ds.metadata?.uid ?? "");
    const result = pending && job && pending.result.jobUid === job.metadata?.uid ? pending.result : undefined;
    const pods = job ? this.podsOf(job) : [];
    const status = withAccess(
      ds,
      followErasures(
        computeStatus(ds, { job, pods, result, blocked }, this.now),
        ds,
        this.o.erasureRequests?.list() ?? [],
      ),
      this.o.access,
      key,
    );
    const pruned = this.pendingPrune.get(ds.metadata?.uid ?? "");
    if (pruned) status.versions = mergeVersions(status.versions, pruned.outcome.versions, status.digest);
    await this.write(ds, status, signal);
    this.o.access?.written(key, status.access, createdKey(ds));
    if (pending && result) {
      this.pending.delete(ds.metadata?.uid ?? "");
      pending.done();
    }
    if (pruned) {
      this.pendingPrune.delete(ds.metadata?.uid ?? "");
      pruned.done();
    }
    return published({ ...ds, status }) ? this.ageRetention({ ...ds, status }, log, signal) : undefined;
  }

  /**
   * retention.maxAge between generations: a prune Job for the versions past it (named by them, so a restart finds
   * it instead of starting another), else a requeue at the next expiry. Nothing without maxAge.
   */
  private async ageRetention(ds: DataSet, log: Logger, signal: AbortSignal): Promise<ReconcileResult | undefined> {
    const inUse = versionsInUse(ds, this.o.trainingJobs.list(), this.o.modelDeployments.list());
    const due = agePrune(ds, inUse, Date.parse(this.now()));
    if (!due || "requeueAfterMs" in due) return due;
    if (!this.o.report) return undefined; // no report channel: the pod could not say what it shredded
    const desired = pruneJob(
      ds,
      { runtimeImage: this.o.runtimeImage, report: this.o.report, vault: this.o.vault },
      due.drop,
      inUse,
    );
    const name = desired.object.metadata?.name ?? "";
    // Running or finished: its report (or its removal after the TTL, to retry a failed one) brings the DataSet back.
    if (this.o.jobs.get(`${ds.metadata?.namespace ?? ""}/${name}`)) return undefined;
    try {
      await this.o.client.create(RESOURCES.Job, desired.object, { signal });
      log.info({ job: name, versions: due.drop.map((v) => v.slice(0, 12)) }, "created prune Job (retention.maxAge)");
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 409)) throw err;
    }
    return undefined;
  }

  /**
   * Why this generation's prepare Job cannot be created with this operator's flags: no reporting, or Vault needed
   * but not configured. Only new work waits: a published generation, or a Job another operator already created,
   * is left as it is whatever this operator's flags.
   */
  private blockedNewWork(ds: DataSet, capture: CaptureResolution | undefined): Blocked | undefined {
    const job = this.o.jobs.get(
      `${ds.metadata?.namespace ?? ""}/${dataSetNames(ds.metadata?.name ?? "").prepareJob(ds.metadata?.generation ?? 0)}`,
    );
    if ((job && controlledBy(job, ds)) || published(ds)) return undefined;
    if (!this.o.report) {
      return {
        reason: Reason.ReportingDisabled,
        message:
          "the operator runs without --report-url, so prepare pods cannot report; start it with the report flags",
      };
    }
    if (needsVault(ds) && !this.o.vault) {
      return {
        reason: Reason.VaultUnreachable,
        message:
          "the spec needs Vault (postgres DSN, hashPII salt, encryption or storage.credentials) but the operator runs without --vault-addr",
      };
    }
    // source.captured names a ModelDeployment that is missing or captures nothing (a change to it requeues: setup.ts).
    return capture?.blocked;
  }

  /**
   * The ServiceAccount (applied if it differs), then this generation's prepare Job (created once, unless the
   * generation is already published), then older generations' Jobs deleted. A permanent refusal blocks.
   */
  private async applyChildren(
    ds: DataSet,
    blocked: Blocked | undefined,
    capture: CaptureResolution | undefined,
    log: Logger,
    signal: AbortSignal,
  ): Promise<{ job: KubeObject | undefined; blocked: Blocked | undefined }> {
    const gen = ds.metadata?.generation ?? 0;
    const names = dataSetNames(ds.metadata?.name ?? "");
    let job = this.o.jobs.get(`${ds.metadata?.namespace ?? ""}/${names.prepareJob(gen)}`);
    // Found by name only: a Job this DataSet does not control (someone else's, made to forge a result) is never read.
    if (job && !controlledBy(job, ds)) {
      blocked ??= {
        reason: Reason.ApplyFailed,
        message: notControlledMessage("Job", names.prepareJob(gen), "DataSet"),
      };
      return { job: undefined, blocked };
    }
    if (!blocked) {
      const sa = serviceAccount(ds);
      const current = this.o.serviceAccounts.get(keyOf(sa.object));
      const out = await applyIfDiffers(this.o.client, sa.resource, sa.object, current, { signal });
      if (out.result === "refused") blocked = refused(out.error, sa);
      else if (out.result !== "unchanged")
        log.info({ child: `${sa.resource.plural}/${keyOf(sa.object)}` }, "applied child");
    }
    if (!blocked && !job && !published(ds)) {
      const inUse = versionsInUse(ds, this.o.trainingJobs.list(), this.o.modelDeployments.list());
      const settings = {
        runtimeImage: this.o.runtimeImage,
        report: this.o.report,
        vault: this.o.vault,
        egressAllow: this.o.egressAllow,
        captured: capture?.capture,
      };
      const desired = prepareJob(ds, settings, inUse);
      try {
        job = await this.o.client.create(RESOURCES.Job, desired.object, { signal });
        log.info({ job: desired.object.metadata?.name }, "created prepare Job");
      } catch (err) {
        if (err instanceof KubeApiError && err.code === 409) job = undefined;
        else if (isPermanentRefusal(err)) blocked = refused(err, desired);
        else throw err;
      }
    }
    if (job) await this.deleteOldJobs(ds, job, log, signal);
    return { job, blocked };
  }

  /** The pods of a prepare Job (the Job controller labels them with its name). */
  private podsOf(job: KubeObject): Pod[] {
    const { namespace, name } = job.metadata ?? {};
    return this.o.pods
      .list()
      .filter((p) => p.metadata?.namespace === namespace && p.metadata?.labels?.["job-name"] === name);
  }

  /** Writes the status when it changed, and an Event when Ready changes. */
  private async write(ds: DataSet, status: DataSetStatus, signal: AbortSignal): Promise<void> {
    if (stableStringify(status) === stableStringify(ds.status ?? {})) return;
    await this.o.client.apply(
      RESOURCES.DataSet,
      {
        apiVersion: apiVersionOf(RESOURCES.DataSet),
        kind: "DataSet",
        metadata: { name: ds.metadata?.name ?? "", namespace: ds.metadata?.namespace ?? "" },
        status,
      },
      "status",
      { signal },
    );
    await this.recordTransition(ds, status);
  }

  /** Report endpoint handler for DataSet runs: accepted once the reconcile of the DataSet has written it. */
  handleReport = async (run: ReportRun, update: ReportUpdate, log: Logger): Promise<void> => {
    const key = `${run.namespace}/${run.name}`;
    const ds = this.o.dataSets.get(key) as DataSet | undefined;
    if (!ds || ds.metadata?.uid !== run.uid) throw new ReportRejected(`DataSet ${key} no longer exists`, 404);
    if (run.job.name === dataSetNames(run.name).cleanupJob || update.phase === "progress") return;
    if (isPruneJob(run.job.name)) return this.pruneReport(key, ds, run, update, log);
    const gen = run.job.annotations[ANNOTATION_GENERATION];
    if (gen !== String(ds.metadata?.generation)) {
      throw new ReportRejected(
        `the report is for generation ${gen}, the DataSet is at ${ds.metadata?.generation}`,
        409,
      );
    }
    const result: RunResult =
      update.phase === "succeeded"
        ? { jobUid: run.job.uid, phase: "succeeded", outcome: outcomeOf(update.data) }
        : {
            jobUid: run.job.uid,
            phase: "failed",
            reason: update.reason ?? Reason.JobFailed,
            message: update.message ?? "the prepare run failed without a message",
          };
    log.info({ phase: update.phase, reason: update.reason }, "run reported");
    await awaitStatusWrite(this.pending, run.uid, { result }, () => this.o.enqueue?.(key), this.o.reportTimeoutMs);
  };

  /** A prune Job's report: its versions go into status.versions (a failure is an Event; the Job is retried). */
  private async pruneReport(key: string, ds: DataSet, run: ReportRun, update: ReportUpdate, log: Logger) {
    if (update.phase !== "succeeded") {
      log.warn({ job: run.job.name, reason: update.reason }, "prune run failed");
      await this.o.events.record(
        ds,
        "Warning",
        update.reason ?? Reason.JobFailed,
        `prune Job ${run.job.name} failed: ${update.message ?? "no message"}; it is retried once the Job is removed`,
      );
      return;
    }
    const outcome = pruneOutcomeOf(update.data);
    log.info({ job: run.job.name, shredded: outcome.deleted }, "prune reported");
    await awaitStatusWrite(
      this.pendingPrune,
      run.uid,
      { outcome },
      () => this.o.enqueue?.(key),
      this.o.reportTimeoutMs,
    );
  }

  /**
   * Deletion: wait while anything uses the DataSet (in-use.ts: Terminating names who), then run the cleanup Job,
   * then release the finalizer (at once when the namespace itself is going).
   */
  private async finalize(ds: DataSet, log: Logger, signal: AbortSignal): Promise<ReconcileResult | undefined> {
    if (!ds.metadata?.finalizers?.includes(FINALIZER)) return undefined;
    const users = usersOf(ds, this.o.trainingJobs.list(), this.o.modelDeployments.list());
    await this.write(ds, terminatingStatus(ds, users, this.now), signal);
    if (users.length > 0) {
      log.info({ users }, "deletion waits: the DataSet is in use");
      return undefined; // a change to a user requeues it (setup.ts)
    }
    const ns = ds.metadata.namespace ?? "";
    const name = dataSetNames(ds.metadata.name ?? "").cleanupJob;
    const job = this.o.jobs.get(`${ns}/${name}`);
    if (job && !controlledBy(job, ds)) {
      await this.o.events.record(ds, "Warning", Reason.CleanupFailed, notControlledMessage("Job", name, "DataSet"));
      return undefined;
    }
    const release = async (why: string) => {
      await this.o.client.mergePatch(
        RESOURCES.DataSet,
        ns,
        ds.metadata?.name ?? "",
        {
          metadata: {
            finalizers: (ds.metadata?.finalizers ?? []).filter((f) => f !== FINALIZER),
            resourceVersion: ds.metadata?.resourceVersion,
          },
        },
        undefined,
        { signal },
      );
      log.info(why);
    };
    if (!this.o.report && !job) {
      await release("released the finalizer without cleanup (reporting is off, so no cleanup Job can run)");
      return undefined;
    }
    if (!job) {
      try {
        // With the DataSet's Vault identity: the cleanup shreds each version's data key before its files.
        const desired = cleanupJob(ds, { runtimeImage: this.o.runtimeImage, vault: this.o.vault });
        await this.o.client.create(RESOURCES.Job, desired.object, { signal });
        log.info({ job: name }, "created cleanup Job");
      } catch (err) {
        // A terminating namespace refuses new objects; its claims go with it, so there is nothing left to clean.
        if (err instanceof KubeApiError && err.code === 403 && /terminat/i.test(err.message)) {
          await release("namespace is terminating: released the finalizer");
          return undefined;
        }
        if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      }
      return undefined;
    }
    const done = (type: string) =>
      job.status?.conditions?.some((c: { type: string; status: string }) => c.type === type && c.status === "True");
    if (done("Complete")) await release("cleanup done: released the finalizer");
    else if (done("Failed")) {
      await this.o.events.record(
        ds,
        "Warning",
        Reason.CleanupFailed,
        `cleanup Job ${name} failed; the versions under ${outputUri(ds)} remain; remove them by hand or delete the Job to retry`,
      );
    }
    return undefined;
  }

  private async deleteOldJobs(ds: DataSet, current: KubeObject, log: Logger, signal: AbortSignal): Promise<void> {
    const ns = ds.metadata?.namespace;
    for (const j of this.o.jobs.list()) {
      const m = j.metadata ?? {};
      if (
        m.namespace !== ns ||
        m.name === current.metadata?.name ||
        m.labels?.[LABEL_DATASET] !== ds.metadata?.name?.slice(0, 63)
      )
        continue;
      if (!m.ownerReferences?.some((r) => r.controller && r.uid === ds.metadata?.uid) || m.deletionTimestamp) continue;
      if (m.name === dataSetNames(ds.metadata?.name ?? "").cleanupJob || isPruneJob(m.name ?? "")) continue;
      await this.o.client.delete(RESOURCES.Job, ns, m.name ?? "", undefined, { signal });
      log.info({ job: m.name }, "deleted the previous generation's Job");
    }
  }

  private async recordTransition(
    ds: DataSet,
    next: { conditions?: { type: string; status: string; reason: string; message: string }[] },
  ) {
    const prev = findCondition(ds.status?.conditions, ConditionType.Ready);
    const ready = findCondition(next.conditions, ConditionType.Ready);
    const failed = findCondition(next.conditions, ConditionType.Failed);
    if (!ready || (prev?.status === ready.status && prev.reason === ready.reason)) return;
    if (failed?.status === "True") await this.o.events.record(ds, "Warning", failed.reason, failed.message);
    else if (ready.status === "True") await this.o.events.record(ds, "Normal", ready.reason, ready.message);
  }
}

/** The status with the access record brought up to date with the audit events waiting for it (access/summary.ts). */
function withAccess(ds: DataSet, status: DataSetStatus, access: PendingAccess | undefined, key: string): DataSetStatus {
  const prev = ds.status?.access;
  // status.versions (retention) names each version's key id.
  const versions = status.versions ?? ds.status?.versions;
  const versionOf = (keyId: string) => versions?.find((v) => v.keyId === keyId)?.version;
  // A read from before this DataSet existed was of an earlier one of the same name (deleted, its keys shredded).
  const since = createdKey(ds);
  const events = access?.pending(key).filter((e) => timeKey(e.time) >= since) ?? [];
  const merged = access ? mergeAccess(prev, events, versionOf) : prev;
  const out = { ...status };
  if (merged && merged.length > 0) out.access = merged;
  else delete out.access;
  return out;
}

/** The DataSet's creation time as access/summary.ts orders audit times ("" when unknown: every event counts). */
function createdKey(ds: DataSet): string {
  const t = ds.metadata?.creationTimestamp;
  return t ? timeKey(String(t)) : "";
}

/** A permanent API refusal (admission, quota, invalid) as a blocked condition. */
function refused(err: KubeApiError, d: DesiredObject): Blocked {
  return {
    reason: Reason.ApplyFailed,
    message: `cannot create ${d.resource.kind} ${d.object.metadata?.name}: ${refusalMessage(err)}`,
  };
}
