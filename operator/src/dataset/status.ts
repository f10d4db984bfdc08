// The DataSet's status from its prepare Job and the run's reported result (pure). Ready is True once the current
// generation's data is published; Progressing while its Job runs; Failed, with the run's own reason (SchemaMismatch,
// SourceUnreachable …) or the Job's, when it cannot finish. Results of the last good run stay until replaced.
import type { DataSet, DataSetStatus } from "../api/v1alpha1/index.js";
import { type PodFailure, podFailure, podFailureReason, podMessage, withoutReason } from "../children/pod-failure.js";
import { PREPARE_RETRIED_REASONS } from "../contract/dataset.js";
import { applyConditions, type ConditionInput, findCondition } from "../controller/conditions.js";
import type { KubeObject } from "../kube/types.js";
import { ConditionType, Reason } from "../reasons.js";
import { outputUri } from "./desired.js";
import type { RunResult } from "./result.js";
import { mergeVersions } from "./versions.js";

export interface DataSetObserved {
  /** The current generation's prepare Job, as last seen. */
  job?: KubeObject | undefined;
  /** Its pods: one the scheduler cannot place, or whose image cannot be pulled, is said while the Job waits. */
  pods?: readonly KubeObject[] | undefined;
  /** Its reported result, when it reported one. */
  result?: RunResult | undefined;
  /** Set when the operator cannot run the Job at all (e.g. reporting is off, or the API refused the Job). */
  blocked?: { reason: string; message: string } | undefined;
}

function jobCondition(job: KubeObject | undefined, type: string): { reason?: string; message?: string } | undefined {
  return job?.status?.conditions?.find((c: { type: string; status: string }) => c.type === type && c.status === "True");
}

export function computeStatus(ds: DataSet, o: DataSetObserved, now: () => string): DataSetStatus {
  const gen = ds.metadata?.generation;
  const prev = ds.status ?? {};
  // A reported outcome lives only in the status once written: keep it while it still describes this generation.
  if (!o.result && !o.blocked && keepsOutcome(ds, o.job)) return structuredClone(prev);
  const status: DataSetStatus = {};
  for (const k of [
    "rows",
    "columns",
    "digest",
    "output",
    "version",
    "task",
    "notes",
    "capturedVersions",
    "versions",
  ] as const) {
    if (prev[k] !== undefined) (status as Record<string, unknown>)[k] = prev[k];
  }
  const name = o.job?.metadata?.name ?? "the prepare Job";
  const cond = (ready: boolean, progressing: boolean, failed: boolean, reason: string, message: string) =>
    [
      { type: ConditionType.Ready, status: ready ? "True" : "False", reason, message },
      { type: ConditionType.Progressing, status: progressing ? "True" : "False", reason, message },
      { type: ConditionType.Failed, status: failed ? "True" : "False", reason, message },
      ...(failed ? [{ type: ConditionType.Stalled, status: "True", reason, message }] : []),
    ] as ConditionInput[];

  let conditions: ConditionInput[];
  const r = o.result;
  if (o.blocked) {
    conditions = cond(false, false, true, o.blocked.reason, o.blocked.message);
  } else if (r?.phase === "succeeded") {
    const out = r.outcome;
    status.rows = out.rows;
    status.columns = out.columns;
    status.digest = out.digest;
    status.version = out.digest.slice(7, 19);
    status.output = `${outputUri(ds)}/${out.digest.slice(7)}`;
    status.task = out.task;
    if (out.notes.length > 0) status.notes = out.notes;
    else delete status.notes;
    if (out.capturedVersions !== undefined) status.capturedVersions = out.capturedVersions;
    else delete status.capturedVersions;
    if (out.versions) status.versions = mergeVersions(prev.versions, out.versions, out.digest);
    const captured =
      out.rows.captured !== undefined
        ? `; ${out.rows.captured} of the ${out.rows.read} rows read from ${out.capturedVersions ?? 0} capture versions`
        : "";
    const msg = `${out.rows.total} rows (train ${out.rows.train}, validation ${out.rows.validation}, test ${out.rows.test}) published as ${status.version}${out.encrypted ? ", encrypted" : ""}${captured}`;
    conditions = cond(true, false, false, Reason.Prepared, msg);
  } else if (r?.phase === "failed" && PREPARE_RETRIED_REASONS.has(r.reason) && !jobCondition(o.job, "Failed")) {
    // Vault or the store did not answer: the Job retries with back-off, so this is not (yet) a failure.
    const msg = `${withoutReason(r.message, r.reason)}${RETRYING}`;
    conditions = [
      ...cond(false, true, false, r.reason, msg),
      { type: ConditionType.Reconciling, status: "True", reason: r.reason, message: msg },
    ];
  } else if (r?.phase === "failed") {
    conditions = cond(false, false, true, r.reason, withoutReason(r.message, r.reason));
  } else if (jobCondition(o.job, "Failed") && retrying(ds)) {
    // It kept failing for the same transient cause until the Job gave up: say that cause, not "without reporting".
    const last = retrying(ds) as { reason: string; message: string };
    const c = jobCondition(o.job, "Failed");
    const msg = `${last.message.replace(RETRYING, "")}; ${name} gave up (${c?.reason ?? "Failed"}); delete the Job to retry`;
    conditions = cond(false, false, true, last.reason, msg);
  } else if (jobCondition(o.job, "Failed")) {
    const c = jobCondition(o.job, "Failed");
    const msg = `${name} failed without reporting (${c?.reason ?? "Failed"}: ${c?.message ?? "no message"}); see its pod's logs; delete the Job to retry`;
    conditions = cond(false, false, true, Reason.JobFailed, msg);
  } else if (jobCondition(o.job, "Complete")) {
    const msg = `${name} completed without reporting its result; delete the Job to run it again`;
    conditions = cond(false, false, true, Reason.JobFailed, msg);
  } else if (podFailure(o.pods ?? [])) {
    // The Job waits on its pod (Pending: unschedulable, image not pulled): say why, not just "preparing".
    const problem = podFailure(o.pods ?? []) as PodFailure;
    const reason = podFailureReason(problem);
    const msg = `${name} cannot start generation ${gen}: pod ${problem.pod}: ${podMessage(problem.message)}`;
    conditions = [
      ...cond(false, true, false, reason, msg),
      { type: ConditionType.Reconciling, status: "True", reason, message: msg },
    ];
  } else {
    const failures = Number(o.job?.status?.failed ?? 0);
    const msg = failures
      ? `${name} is retrying after ${failures} failed attempt${failures > 1 ? "s" : ""} (back-off)`
      : `${name} is preparing generation ${gen}`;
    conditions = [
      ...cond(false, true, false, Reason.Preparing, msg),
      { type: ConditionType.Reconciling, status: "True", reason: Reason.Preparing, message: msg },
    ];
  }
  if (gen !== undefined) status.observedGeneration = gen;
  status.conditions = applyConditions(prev.conditions, conditions, gen, now);
  return status;
}

/** What a retried run's message ends with while its Job retries. */
const RETRYING = "; retrying with back-off";

/** This generation's Progressing condition when it says a run failed for a transient reason and is retried. */
function retrying(ds: DataSet): { reason: string; message: string } | undefined {
  const p = findCondition(ds.status?.conditions, ConditionType.Progressing);
  const current =
    p?.observedGeneration === ds.metadata?.generation && ds.status?.observedGeneration === ds.metadata?.generation;
  return current && p?.status === "True" && PREPARE_RETRIED_REASONS.has(p.reason) ? p : undefined;
}

/** Whether the status holds this generation's published data (then no Job needs to run again). */
export function published(ds: DataSet): boolean {
  const ready = findCondition(ds.status?.conditions, ConditionType.Ready);
  const gen = ds.metadata?.generation;
  return ds.status?.observedGeneration === gen && ready?.status === "True" && ready.observedGeneration === gen;
}

/** Published, or a reported failure of this generation's Job that still exists (deleting the Job retries). */
function keepsOutcome(ds: DataSet, job: KubeObject | undefined): boolean {
  if (published(ds)) return true;
  // A transient failure reported while the Job retries: kept until the next attempt reports or the Job gives up.
  if (retrying(ds) && job !== undefined && !jobCondition(job, "Failed") && !jobCondition(job, "Complete")) return true;
  const failed = findCondition(ds.status?.conditions, ConditionType.Failed);
  const gen = ds.metadata?.generation;
  const reported = failed?.status === "True" && failed.observedGeneration === gen && failed.reason !== Reason.JobFailed;
  return (
    reported &&
    job !== undefined &&
    ds.status?.observedGeneration === gen &&
    failed?.reason !== Reason.ReportingDisabled
  );
}
