// Reconciles one ErasureRequest: resolve (its DataSet must exist, be indexed and published; the operator must have
// reporting and Vault), then its one erase Job (created once, by a name fixed per request: a restarted operator finds
// it and the pod finds its own earlier rewrite, so nothing is rewritten twice), then the status from the Job and its
// pod's report, and — where the DataSet asks for it — a retrain of each flagged TrainingJob on the rewritten version.
// Reports arrive through handleReport and are written by the reconcile of their key (one status writer).
import type { Logger } from "pino";
import type {
  DataSet,
  ErasureRequest,
  ErasureRequestStatus,
  ModelDeployment,
  TrainingJob,
} from "../api/v1alpha1/index.js";
import { controlledBy, notControlledMessage } from "../children/child.js";
import type { ErasureOutcome } from "../contract/erasure.js";
import { findCondition } from "../controller/conditions.js";
import type { ReconcileContext, ReconcileResult, Reconciler } from "../controller/controller.js";
import type { EventRecorder } from "../controller/events.js";
import type { ObjectCache } from "../controller/informer.js";
import { published } from "../dataset/status.js";
import { isPermanentRefusal, refusalMessage } from "../kube/apply.js";
import { KubeApiError, type KubeClient } from "../kube/client.js";
import { apiVersionOf, RESOURCES } from "../kube/resources.js";
import type { KubeObject } from "../kube/types.js";
import { ConditionType, Reason } from "../reasons.js";
import { ReportRejected } from "../report/identity.js";
import type { ReportSettings } from "../report/pod-spec.js";
import type { ReportUpdate } from "../report/router.js";
import type { ReportRun } from "../report/run-owner.js";
import { awaitStatusWrite } from "../report/status-write.js";
import { stableStringify } from "../util/stable-json.js";
import type { VaultSettings } from "../vault/pod-identity.js";
import { eraseJob, retrainJob } from "./desired.js";
import { erasureNames } from "./names.js";
import { erasureOutcomeOf } from "./result.js";
import {
  affectedVersions,
  computeStatus,
  type ErasureObserved,
  flaggedTrainingJobs,
  retrainsOf,
  wantsRetrain,
} from "./status.js";

export interface ErasureRequestReconcilerOptions {
  client: KubeClient;
  erasureRequests: ObjectCache<ErasureRequest>;
  dataSets: ObjectCache<DataSet>;
  jobs: ObjectCache;
  trainingJobs: ObjectCache<TrainingJob>;
  modelDeployments: ObjectCache<ModelDeployment>;
  events: EventRecorder;
  runtimeImage: string;
  report?: ReportSettings;
  vault?: VaultSettings;
  enqueue?: (key: string) => void;
  now?: () => string;
  reportTimeoutMs?: number;
}

type Reported =
  | { jobUid: string; outcome: ErasureOutcome }
  | { jobUid: string; failure: { reason: string; message: string } };

interface Pending {
  result: Reported;
  done: () => void;
}

export class ErasureRequestReconciler implements Reconciler {
  readonly kind = "ErasureRequest";
  private readonly now: () => string;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly o: ErasureRequestReconcilerOptions) {
    this.now = o.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, "Z"));
  }

  async reconcile(key: string, { log, signal }: ReconcileContext): Promise<ReconcileResult | undefined> {
    const cached = this.o.erasureRequests.get(key);
    if (!cached || cached.metadata?.deletionTimestamp) return undefined;
    const req = structuredClone(cached);
    const ns = req.metadata?.namespace ?? "";
    const ds = this.o.dataSets.get(`${ns}/${req.spec.dataSetRef.name}`);
    const hasRecord = req.status?.found !== undefined;
    let job = this.o.jobs.get(`${ns}/${erasureNames(req.metadata?.name ?? "").job}`);
    let blocked: ErasureObserved["blocked"];
    if (job && !controlledBy(job, req)) {
      blocked = {
        reason: Reason.ApplyFailed,
        message: notControlledMessage("Job", job.metadata?.name, "ErasureRequest"),
      };
      job = undefined;
    }
    if (!hasRecord && !job && !blocked) {
      blocked = this.blocked(req, ds);
      if (!blocked && ds) {
        const desired = eraseJob(req, ds, {
          runtimeImage: this.o.runtimeImage,
          report: this.o.report,
          vault: this.o.vault,
        });
        try {
          job = await this.o.client.create(RESOURCES.Job, desired.object, { signal });
          log.info({ job: desired.object.metadata?.name }, "created erase Job");
        } catch (err) {
          if (err instanceof KubeApiError && err.code === 409) job = undefined;
          else if (isPermanentRefusal(err)) {
            blocked = {
              reason: Reason.ApplyFailed,
              message: `cannot create Job ${desired.object.metadata?.name}: ${refusalMessage(err)}`,
            };
          } else throw err;
        }
      }
    }
    const pending = this.pending.get(req.metadata?.uid ?? "");
    const result = pending && job && pending.result.jobUid === job.metadata?.uid ? pending.result : undefined;
    const status = computeStatus(
      req,
      {
        ds,
        job,
        blocked,
        outcome: result && "outcome" in result ? result.outcome : undefined,
        failure: result && "failure" in result ? result.failure : undefined,
        trainingJobs: this.o.trainingJobs.list(),
        modelDeployments: this.o.modelDeployments.list(),
      },
      this.now,
    );
    await this.write(req, status, signal);
    if (pending && result) {
      this.pending.delete(req.metadata?.uid ?? "");
      pending.done();
    }
    if (status.found !== undefined) await this.retrain({ ...req, status }, ds, log, signal);
    return undefined;
  }

  /** Why the erase Job cannot be created now; undefined when it can. */
  private blocked(req: ErasureRequest, ds: DataSet | undefined): ErasureObserved["blocked"] {
    const name = req.spec.dataSetRef.name;
    if (!ds) {
      return {
        reason: Reason.DataSetNotFound,
        message: `DataSet ${name} does not exist; create it or fix spec.dataSetRef`,
        waiting: true,
      };
    }
    if (!ds.spec.privacy) {
      return {
        reason: Reason.SubjectKeyNotIndexed,
        message: `DataSet ${name} has no spec.privacy.subjectKey, so its versions have no subject index to search: set it (its next version is indexed) and delete the versions prepared before`,
      };
    }
    if (!published(ds)) {
      return {
        reason: Reason.DataSetNotReady,
        message: `DataSet ${name} is not Ready (a generation is being prepared); the erasure starts when it is`,
        waiting: true,
      };
    }
    if (!this.o.report) {
      return {
        reason: Reason.ReportingDisabled,
        message:
          "the operator runs without --report-url, so the erase pod cannot report; start it with the report flags",
      };
    }
    if (!this.o.vault) {
      return {
        reason: Reason.VaultUnreachable,
        message: "the erase pod reads the subjects from Vault, but the operator runs without --vault-addr",
      };
    }
    return undefined;
  }

  /**
   * spec.privacy.onErasure: Retrain — a copy of each flagged TrainingJob, created once the DataSet shows the
   * rewritten version (its reconcile follows the request's record), so the copy trains on data without the rows.
   */
  private async retrain(req: ErasureRequest, ds: DataSet | undefined, log: Logger, signal: AbortSignal): Promise<void> {
    if (!ds || !wantsRetrain(ds)) return;
    const affected = affectedVersions(req);
    if (!ds.status?.digest || affected.has(ds.status.digest)) return;
    const existing = retrainsOf(req, this.o.trainingJobs.list());
    for (const tj of flaggedTrainingJobs(req, affected, this.o.trainingJobs.list())) {
      if (existing.has(tj.metadata?.name ?? "")) continue;
      const desired = retrainJob(req, tj);
      try {
        await this.o.client.create(RESOURCES.TrainingJob, desired.object as TrainingJob, { signal });
        log.info({ trainingJob: desired.object.metadata?.name, of: tj.metadata?.name }, "created retrain");
        await this.o.events.record(
          req,
          "Normal",
          Reason.Erasing,
          `retraining TrainingJob ${tj.metadata?.name} as ${desired.object.metadata?.name} on version ${ds.status.version}`,
        );
      } catch (err) {
        if (!(err instanceof KubeApiError && err.code === 409)) throw err;
      }
    }
  }

  private async write(req: ErasureRequest, status: ErasureRequestStatus, signal: AbortSignal): Promise<void> {
    if (stableStringify(status) === stableStringify(req.status ?? {})) return;
    await this.o.client.apply(
      RESOURCES.ErasureRequest,
      {
        apiVersion: apiVersionOf(RESOURCES.ErasureRequest),
        kind: "ErasureRequest",
        metadata: { name: req.metadata?.name ?? "", namespace: req.metadata?.namespace ?? "" },
        status,
      },
      "status",
      { signal },
    );
    const before = findCondition(req.status?.conditions, ConditionType.Complete);
    const after = findCondition(status.conditions, ConditionType.Complete);
    if (
      after &&
      (before?.status !== after.status || before.reason !== after.reason) &&
      after.reason !== Reason.Erasing
    ) {
      await this.o.events.record(req, after.status === "True" ? "Normal" : "Warning", after.reason, after.message);
    }
  }

  /** Report endpoint handler for erase pods: accepted once the reconcile has written it. */
  handleReport = async (run: ReportRun, update: ReportUpdate, log: Logger): Promise<void> => {
    const key = `${run.namespace}/${run.name}`;
    const req = this.o.erasureRequests.get(key);
    if (!req || req.metadata?.uid !== run.uid) throw new ReportRejected(`ErasureRequest ${key} no longer exists`, 404);
    if (update.phase === "progress" || req.status?.found !== undefined) return; // the record is written once
    const result: Reported =
      update.phase === "succeeded"
        ? { jobUid: run.job.uid, outcome: erasureOutcomeOf(update.data) }
        : {
            jobUid: run.job.uid,
            failure: {
              reason: update.reason ?? Reason.JobFailed,
              message: update.message ?? "the erase run failed without a message",
            },
          };
    log.info({ phase: update.phase, reason: update.reason }, "erase run reported");
    await awaitStatusWrite(this.pending, run.uid, { result }, () => this.o.enqueue?.(key), this.o.reportTimeoutMs);
  };
}

/** Requests that may change when a DataSet, TrainingJob or ModelDeployment in their namespace changes. */
export function requestsIn(requests: readonly KubeObject[], namespace: string | undefined): string[] {
  return requests
    .filter((r) => r.metadata?.namespace === namespace)
    .map((r) => `${r.metadata?.namespace}/${r.metadata?.name}`);
}
