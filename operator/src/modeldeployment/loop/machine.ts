// The closed loop's state machine (pure): from the ModelDeployment (spec.retrain, status.loop, its conditions and
// annotation) and what the cluster shows (the loop's children, the canary, the judge's verdict), the next status.loop,
// the children to create or delete, and the Events to record. Stages: Watching → Retraining → Canary → Promoted |
// RolledBack | Failed; the last three stay visible until the next trigger starts another loop.
import type { DataSet, ModelDeployment, ModelDeploymentStatus, TrainingJob } from "../../api/v1alpha1/index.js";
import { LoopTrigger } from "../../api/v1alpha1/retrain.js";
import type { DesiredObject } from "../../children/child.js";
import { findCondition, isConditionTrue } from "../../controller/conditions.js";
import { ConditionType, Reason } from "../../reasons.js";
import { loopDataSet, loopTrainingJob } from "./children.js";
import { specModelFingerprint } from "./effective.js";
import { loopChildName, loopIterationOf, RETRAIN_ANNOTATION } from "./names.js";
import { type LoopPolicy, loopPolicy } from "./policy.js";
import { checkTriggers } from "./triggers.js";

export type LoopStatus = NonNullable<ModelDeploymentStatus["loop"]>;
type LoopStage = LoopStatus["stage"];
/** One track's figures as status.loop.figures records them (operator/src/modeldeployment/loop/figures.ts). */
export type RecordedFigures = NonNullable<LoopStatus["figures"]>["stable"];

/** The judge's answer (operator/src/modeldeployment/loop/judge.ts). */
export interface LoopVerdict {
  decision: "promote" | "rollback" | "wait";
  reason: string;
  message: string;
  test?: string;
}

export interface LoopObserved {
  nowMs: number;
  /** The monitoring period: Drifted is re-judged once per period. */
  periodSeconds: number;
  /** The templates the loop copies, when they exist. */
  templates: { dataSet?: DataSet; trainingJob?: TrainingJob; names: { dataSet?: string; trainingJob?: string } };
  /** The current iteration's children, when the cache has them and the ModelDeployment controls them. */
  dataSet?: DataSet;
  trainingJob?: TrainingJob;
  /** A child under the loop's name that the ModelDeployment does not control (someone else's object). */
  foreign?: { resource: "DataSet" | "TrainingJob"; message: string };
  /** Every loop child the ModelDeployment controls, any iteration (the old ones are deleted after a decision). */
  children: { resource: "DataSet" | "TrainingJob"; name: string }[];
  /** The canary Deployment has a ready pod on the candidate. */
  canaryReady: boolean;
  /**
   * A retrain an ErasureRequest made of the served model (trained on the rewritten version), succeeded and not yet
   * tried: it goes to canary at once, judged like the loop's own candidates (runner.ts finds it).
   */
  erasure?: { request: string; trainingJob: string; uri: string; digest?: string; dataDigest?: string };
  /** The verdict on canary vs stable, and the figures it used (in stage Canary, once the canary is ready). */
  judged?: { verdict: LoopVerdict; figures: { stable: RecordedFigures; canary: RecordedFigures } };
}

type LoopAction =
  | { op: "create"; child: DesiredObject<DataSet> | DesiredObject<TrainingJob> }
  | { op: "delete"; resource: "DataSet" | "TrainingJob"; name: string };

interface LoopEvent {
  type: "Normal" | "Warning";
  reason: string;
  message: string;
}

export interface LoopStep {
  /** The next status.loop (undefined: the ModelDeployment has no loop). */
  loop?: LoopStatus;
  actions: LoopAction[];
  events: LoopEvent[];
  /** Reconcile again after this long though no watch fires (judging, a timeout, a drift run, a schedule). */
  requeueAfterMs?: number;
}

const ACTIVE = new Set<LoopStage>(["Retraining", "Canary"]);
const HISTORY = 10;
/** While Retraining the children's watches do the work; this only bounds a missed event. */
const RETRAINING_RECHECK_MS = 60_000;

function isActive(stage: LoopStage | undefined): boolean {
  return stage !== undefined && ACTIVE.has(stage);
}

/** The LoopFailed condition status.loop implies (undefined: no loop, no condition). */
export function loopFailedCondition(loop: LoopStatus | undefined) {
  if (!loop) return undefined;
  const failed = loop.stage === "Failed" || (loop.stage === "RolledBack" && loop.reason === Reason.CanaryNotReady);
  return failed
    ? {
        type: ConditionType.LoopFailed,
        status: "True" as const,
        reason: loop.reason ?? Reason.RetrainTrainingJobFailed,
        message: loop.message ?? "",
      }
    : {
        type: ConditionType.LoopFailed,
        status: "False" as const,
        reason: Reason.LoopHealthy,
        message: `loop ${loop.stage}`,
      };
}

interface Ctx {
  mdep: ModelDeployment;
  o: LoopObserved;
  p: LoopPolicy;
  now: string;
  actions: LoopAction[];
  events: LoopEvent[];
  wakeAtMs?: number;
}

export function nextLoopStep(mdep: ModelDeployment, o: LoopObserved): LoopStep {
  const prev = mdep.status?.loop;
  const now = new Date(o.nowMs).toISOString().replace(/\.\d+Z$/, "Z");
  if (!mdep.spec.retrain) {
    if (!prev || !isActive(prev.stage)) return { ...(prev ? { loop: prev } : {}), actions: [], events: [] };
    const c: Ctx = { mdep, o, p: loopPolicy({}), now, actions: [], events: [] };
    const loop = finish(
      c,
      structuredClone(prev),
      "Failed",
      Reason.RetrainRemoved,
      "spec.retrain was removed mid-loop; the stable model keeps serving",
    );
    return result(c, prev, loop);
  }
  const c: Ctx = { mdep, o, p: loopPolicy(mdep.spec.retrain), now, actions: [], events: [] };
  let loop: LoopStatus = prev ? structuredClone(prev) : { stage: "Watching", iteration: 0 };
  if (loop.promoted && loop.promoted.specModel !== specModelFingerprint(mdep)) {
    c.events.push({
      type: "Normal",
      reason: Reason.PromotionCleared,
      message: `spec.model changed since ${loop.promoted.trainingJob} was promoted: serving spec.model`,
    });
    delete loop.promoted;
  }
  if (loop.stage === "Retraining") loop = retraining(c, loop);
  else if (loop.stage === "Canary") loop = canary(c, loop);
  else loop = idle(c, loop);
  return result(c, prev, loop);
}

/** The step, with the Event of a stage change and the requeue an active or waiting loop needs. */
function result(c: Ctx, prev: LoopStatus | undefined, loop: LoopStatus): LoopStep {
  const changed = prev?.stage !== loop.stage || prev?.iteration !== loop.iteration;
  if (changed && !(prev === undefined && loop.stage === "Watching")) {
    const reason =
      loop.stage === "Retraining"
        ? Reason.Retraining
        : loop.stage === "Canary"
          ? Reason.Canary
          : (loop.reason ?? loop.stage);
    const warning = loop.stage === "Failed" || loop.stage === "RolledBack";
    c.events.push({ type: warning ? "Warning" : "Normal", reason, message: loop.message ?? loop.stage });
  }
  let requeue: number | undefined;
  if (loop.stage === "Retraining") requeue = RETRAINING_RECHECK_MS;
  if (loop.stage === "Canary") requeue = c.o.periodSeconds * 1000;
  if (c.wakeAtMs !== undefined) {
    const until = Math.max(1000, c.wakeAtMs - c.o.nowMs);
    requeue = requeue === undefined ? until : Math.min(requeue, until);
  }
  return { loop, actions: c.actions, events: c.events, ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}) };
}

function setMessage(loop: LoopStatus, reason: string | undefined, message: string): void {
  if (reason) loop.reason = reason;
  else delete loop.reason;
  loop.message = message;
}

/**
 * An ErasureRequest's retrain of the served model: a loop that starts at Canary with it as the candidate (no DataSet
 * or TrainingJob of its own to make). Like a person's annotation it is not held back by the limits: the served model
 * learnt from rows that must be forgotten.
 */
function erasureLoop(c: Ctx, loop: LoopStatus, e: NonNullable<LoopObserved["erasure"]>): LoopStatus {
  const n = loop.iteration + 1;
  const day = c.now.slice(0, 10);
  c.wakeAtMs = c.o.nowMs + c.p.readyTimeoutSeconds * 1000;
  return {
    stage: "Canary",
    iteration: n,
    trigger: {
      reason: LoopTrigger.Erasure,
      message: `ErasureRequest ${e.request} retrained the served model as TrainingJob ${e.trainingJob}`,
      at: c.now,
    },
    startedAt: c.now,
    canaryAt: c.now,
    trainingJob: e.trainingJob,
    candidate: { uri: e.uri, ...(e.digest ? { digest: e.digest } : {}) },
    lineage: { ...(e.dataDigest ? { dataDigest: e.dataDigest } : {}), ...(e.digest ? { modelDigest: e.digest } : {}) },
    message: `loop ${n} (Erasure): candidate ${e.digest?.slice(0, 19) ?? e.uri} (TrainingJob ${e.trainingJob}) is a canary with ${c.p.trafficPercent}% of the traffic`,
    loopsToday: { day, count: loop.loopsToday?.day === day ? loop.loopsToday.count + 1 : 1 },
    ...(loop.manualToken !== undefined ? { manualToken: loop.manualToken } : {}),
    ...(loop.promoted ? { promoted: loop.promoted } : {}),
    ...(loop.history ? { history: loop.history } : {}),
  };
}

/** Watching, or a finished stage: start a loop when a trigger fires and the limits allow. */
function idle(c: Ctx, loop: LoopStatus): LoopStatus {
  if (c.o.erasure && !c.mdep.spec.canary) return erasureLoop(c, loop, c.o.erasure);
  const check = checkTriggers(c.mdep, loop, c.p, c.o.nowMs, c.o.periodSeconds);
  if (check.driftedSince) loop.driftedSince = check.driftedSince;
  else delete loop.driftedSince;
  if (check.wakeAtMs !== undefined) c.wakeAtMs = check.wakeAtMs;
  if (!check.fired) {
    if (check.held && loop.stage === "Watching") setMessage(loop, undefined, check.held);
    return loop;
  }
  const fired = check.fired;
  if (c.mdep.spec.canary) {
    setMessage(
      loop,
      undefined,
      `${fired.reason}: spec.canary is set by hand, so the loop starts no retrain until it is removed`,
    );
    return loop;
  }
  const { templates } = c.o;
  if (!templates.trainingJob || !templates.dataSet) {
    const missing = !templates.trainingJob
      ? `TrainingJob ${templates.names.trainingJob ?? "(none: set retrain.trainingJob.from)"}`
      : `DataSet ${templates.names.dataSet ?? "(none: set retrain.dataSet.from)"}`;
    loop.stage = "Failed";
    setMessage(
      loop,
      Reason.RetrainTemplateNotFound,
      `${fired.reason}: cannot retrain: the template ${missing} is not found`,
    );
    return loop;
  }
  const n = loop.iteration + 1;
  const name = loopChildName(c.mdep.metadata?.name ?? "", n);
  const day = c.now.slice(0, 10);
  const next: LoopStatus = {
    stage: "Retraining",
    iteration: n,
    trigger: { reason: fired.reason, message: fired.message, at: c.now },
    startedAt: c.now,
    dataSet: name,
    trainingJob: name,
    message: `loop ${n} (${fired.reason}): preparing DataSet ${name}, then training TrainingJob ${name}`,
    loopsToday: { day, count: loop.loopsToday?.day === day ? loop.loopsToday.count + 1 : 1 },
    ...(loop.promoted ? { promoted: loop.promoted } : {}),
    ...(loop.history ? { history: loop.history } : {}),
  };
  const token =
    fired.reason === LoopTrigger.Manual ? c.mdep.metadata?.annotations?.[RETRAIN_ANNOTATION] : loop.manualToken;
  if (token !== undefined) next.manualToken = token;
  c.actions.push({ op: "create", child: loopDataSet(c.mdep, templates.dataSet, n) });
  c.actions.push({ op: "create", child: loopTrainingJob(c.mdep, templates.trainingJob, n) });
  return next;
}

function failedCondition(
  obj: { status?: { conditions?: { type: string; status: string; reason: string; message: string }[] } } | undefined,
) {
  const f = findCondition(obj?.status?.conditions, ConditionType.Failed);
  return f?.status === "True" ? f : undefined;
}

/** Retraining: (re)create missing children, fail on a failed one, go to Canary once the TrainingJob has a model. */
function retraining(c: Ctx, loop: LoopStatus): LoopStatus {
  const { o } = c;
  if (o.foreign) {
    const reason = o.foreign.resource === "DataSet" ? Reason.RetrainDataSetFailed : Reason.RetrainTrainingJobFailed;
    return finish(c, loop, "Failed", reason, o.foreign.message);
  }
  const ds = loop.dataSet ?? "";
  const tj = loop.trainingJob ?? "";
  const dsFailed = failedCondition(o.dataSet);
  if (dsFailed)
    return finish(
      c,
      loop,
      "Failed",
      Reason.RetrainDataSetFailed,
      `DataSet ${ds} failed (${dsFailed.reason}): ${dsFailed.message}`,
    );
  const tjFailed = failedCondition(o.trainingJob);
  if (tjFailed)
    return finish(
      c,
      loop,
      "Failed",
      Reason.RetrainTrainingJobFailed,
      `TrainingJob ${tj} failed (${tjFailed.reason}): ${tjFailed.message}`,
    );
  // A Pod never scheduled or a Job stuck does not fail by itself: the timeout ends the loop and frees what it holds.
  const deadlineMs = Date.parse(loop.startedAt ?? c.now) + c.p.retrainTimeoutMinutes * 60_000;
  if (c.o.nowMs >= deadlineMs) {
    const phase = o.trainingJob?.status?.phase ?? "Pending";
    const out = finish(
      c,
      loop,
      "Failed",
      Reason.RetrainTimedOut,
      `loop ${loop.iteration}: DataSet ${ds} and TrainingJob ${tj} (phase ${phase}) made no model within ${c.p.retrainTimeoutMinutes} min; both are deleted, the stable model keeps serving`,
    );
    const name = c.mdep.metadata?.name ?? "";
    for (const ch of o.children)
      if (loopIterationOf(name, ch.name) === loop.iteration)
        c.actions.push({ op: "delete", resource: ch.resource, name: ch.name });
    return out;
  }
  c.wakeAtMs = deadlineMs;
  // A child missing (deleted, or the create did not reach the cache yet) is applied again: same name, same spec.
  for (const [have, template, make, kind] of [
    [
      o.dataSet,
      o.templates.dataSet,
      () => loopDataSet(c.mdep, o.templates.dataSet as DataSet, loop.iteration),
      "DataSet",
    ],
    [
      o.trainingJob,
      o.templates.trainingJob,
      () => loopTrainingJob(c.mdep, o.templates.trainingJob as TrainingJob, loop.iteration),
      "TrainingJob",
    ],
  ] as const) {
    if (have) continue;
    if (!template)
      return finish(
        c,
        loop,
        "Failed",
        Reason.RetrainTemplateNotFound,
        `${kind} of loop ${loop.iteration} is gone and its template is not found`,
      );
    c.actions.push({ op: "create", child: make() });
  }
  const model = o.trainingJob?.status?.model;
  if (o.trainingJob && isConditionTrue(o.trainingJob.status?.conditions, ConditionType.Succeeded) && model?.uri) {
    const dsStatus = o.dataSet?.status;
    const dataDigest = model.dataSetDigest ?? dsStatus?.digest;
    loop.stage = "Canary";
    loop.canaryAt = c.now;
    loop.candidate = { uri: model.uri, ...(model.digest ? { digest: model.digest } : {}) };
    loop.lineage = {
      ...(dataDigest ? { dataDigest } : {}),
      ...(dsStatus?.rows?.captured !== undefined ? { capturedRows: dsStatus.rows.captured } : {}),
      ...(dsStatus?.capturedVersions !== undefined ? { capturedVersions: dsStatus.capturedVersions } : {}),
      ...(model.digest ? { modelDigest: model.digest } : {}),
    };
    setMessage(
      loop,
      undefined,
      `loop ${loop.iteration}: candidate ${model.digest?.slice(0, 19) ?? model.uri} is a canary with ${c.p.trafficPercent}% of the traffic`,
    );
    c.wakeAtMs = c.o.nowMs + c.p.readyTimeoutSeconds * 1000;
    return loop;
  }
  const phase = o.trainingJob?.status?.phase ?? "Pending";
  setMessage(loop, undefined, `loop ${loop.iteration}: training TrainingJob ${tj} (phase ${phase}) on DataSet ${ds}`);
  return loop;
}

/** Canary: roll back a canary that never gets ready, then act on the judge's verdict; undecided too long → back. */
function canary(c: Ctx, loop: LoopStatus): LoopStatus {
  const { o, p } = c;
  const since = Date.parse(loop.canaryAt ?? c.now);
  const elapsedS = Math.floor((o.nowMs - since) / 1000);
  if (!o.canaryReady) {
    if (elapsedS >= p.readyTimeoutSeconds) {
      const why = c.mdep.spec.canary ? " (spec.canary is set by hand, so the loop's canary is not deployed)" : "";
      return finish(
        c,
        loop,
        "RolledBack",
        Reason.CanaryNotReady,
        `the canary was not Ready within ${p.readyTimeoutSeconds} s${why}; rolled back, the stable model keeps serving`,
      );
    }
    c.wakeAtMs = since + p.readyTimeoutSeconds * 1000;
    setMessage(
      loop,
      undefined,
      // No running count in the message: it would rewrite the status on every reconcile.
      `loop ${loop.iteration}: waiting for the canary to become Ready (rolled back if not by ${new Date(since + p.readyTimeoutSeconds * 1000).toISOString().replace(/\.\d+Z$/, "Z")})`,
    );
    return loop;
  }
  const verdict = o.judged?.verdict;
  if (o.judged) loop.figures = o.judged.figures;
  if (verdict && verdict.decision !== "wait") {
    loop.decision = {
      decision: verdict.decision,
      reason: verdict.reason,
      message: verdict.message,
      ...(verdict.test ? { test: verdict.test } : {}),
      at: c.now,
    };
    if (verdict.decision === "promote") {
      loop.promoted = {
        uri: loop.candidate?.uri ?? "",
        ...(loop.candidate?.digest ? { digest: loop.candidate.digest } : {}),
        trainingJob: loop.trainingJob ?? "",
        ...(loop.dataSet ? { dataSet: loop.dataSet } : {}),
        at: c.now,
        specModel: specModelFingerprint(c.mdep),
      };
      return finish(c, loop, "Promoted", verdict.reason, `promoted loop ${loop.iteration}: ${verdict.message}`);
    }
    return finish(c, loop, "RolledBack", verdict.reason, `rolled back loop ${loop.iteration}: ${verdict.message}`);
  }
  if (elapsedS >= p.maxDurationSeconds) {
    const message = `undecided after ${p.maxDurationSeconds} s (retrain.canary.maxDurationSeconds): ${verdict?.message ?? "no figures"}`;
    loop.decision = {
      decision: "rollback",
      reason: Reason.NotEnoughFeedback,
      message,
      ...(verdict?.test ? { test: verdict.test } : {}),
      at: c.now,
    };
    return finish(c, loop, "RolledBack", Reason.NotEnoughFeedback, `rolled back loop ${loop.iteration}: ${message}`);
  }
  c.wakeAtMs = since + p.maxDurationSeconds * 1000;
  setMessage(
    loop,
    verdict?.reason,
    `loop ${loop.iteration}: judging the canary: ${verdict?.message ?? "waiting for figures"}`,
  );
  return loop;
}

/** Ends the loop: the stage and why, a history line, and the children of older loops deleted (the promoted one kept). */
function finish(
  c: Ctx,
  loop: LoopStatus,
  stage: "Promoted" | "RolledBack" | "Failed",
  reason: string,
  message: string,
): LoopStatus {
  loop.stage = stage;
  setMessage(loop, reason, message);
  loop.finishedAt = c.now;
  const entry = {
    iteration: loop.iteration,
    trigger: loop.trigger?.reason ?? "",
    decision: stage === "Promoted" ? "promote" : stage === "RolledBack" ? "rollback" : "failed",
    reason,
    ...(loop.candidate?.digest ? { modelDigest: loop.candidate.digest } : {}),
    at: c.now,
  };
  loop.history = [...(loop.history ?? []), entry].slice(-HISTORY);
  const mdepName = c.mdep.metadata?.name ?? "";
  const keep = new Set([loop.iteration]);
  const promotedIteration = loop.promoted ? loopIterationOf(mdepName, loop.promoted.trainingJob) : undefined;
  if (promotedIteration !== undefined) keep.add(promotedIteration);
  for (const ch of c.o.children) {
    const n = loopIterationOf(mdepName, ch.name);
    if (n !== undefined && !keep.has(n)) c.actions.push({ op: "delete", resource: ch.resource, name: ch.name });
  }
  return loop;
}
