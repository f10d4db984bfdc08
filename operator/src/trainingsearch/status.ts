// A TrainingSearch's status from its trials (pure): the counts kubectl shows, every trial's record, the best
// finished trial so far, the compute spent (epochs), and — once the search is over — the best trial's model as the
// search's own artifact, with its lineage and the winning parameters. Ready is True only then.
import type { TrainingSearch, TrainingSearchStatus } from "../api/v1alpha1/index.js";
import { applyConditions, type ConditionInput } from "../controller/conditions.js";
import { ConditionType, Reason } from "../reasons.js";
import { shortNumber } from "../trainingjob/progress.js";
import type { Goal } from "./algorithm/index.js";
import { parametersText } from "./desired.js";
import { bestTrial, epochsRun, type Trial, trialRecord } from "./observe.js";
import { maxFailedOf, type Plan } from "./plan.js";

export interface SearchObserved {
  trials: readonly Trial[];
  goal: Goal;
  plan: Pick<Plan, "budget" | "failedOut" | "done">;
  /** Why the next trial cannot be created (the API server refused it). */
  blocked?: { reason: string; message: string } | undefined;
}

const describe = (t: Trial) =>
  Object.entries(parametersText(t.observation.parameters))
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");

export function computeStatus(search: TrainingSearch, o: SearchObserved, now: () => string): TrainingSearchStatus {
  const prev = search.status ?? {};
  const gen = search.metadata?.generation;
  const metric = search.spec.objective.metric;
  const trials = [...o.trials].sort((a, b) => a.observation.index - b.observation.index);
  const count = (s: string) => trials.filter((t) => t.observation.state === s).length;
  const counts = {
    total: trials.length,
    running: count("Running"),
    stoppedEarly: count("StoppedEarly"),
    succeeded: count("Succeeded"),
    failed: count("Failed"),
  };
  const best = bestTrial(trials, o.goal);
  const status: TrainingSearchStatus = {
    objective: { metric, goal: o.goal },
    trials: counts,
    epochsTrained: trials.reduce((n, t) => n + epochsRun(t.tj), 0),
    trialRecords: trials.map(trialRecord),
  };
  const bestObjective = best?.observation.objective;
  if (best && bestObjective !== undefined) {
    status.best = {
      trial: best.tj.metadata?.name ?? "",
      index: best.observation.index,
      objective: bestObjective,
      shortObjective: shortNumber(bestObjective),
      parameters: parametersText(best.observation.parameters),
    };
  }
  const summary = `${counts.total} of ${o.plan.budget} trials: ${counts.succeeded} succeeded, ${counts.stoppedEarly} stopped early, ${counts.failed} failed, ${counts.running} running`;
  const bestText = best
    ? `best ${metric} ${shortNumber(bestObjective ?? Number.NaN)} by ${best.tj.metadata?.name} (${describe(best)})`
    : `no trial has finished yet`;
  let conditions: ConditionInput[];
  const model = best?.tj.status?.model;
  if (o.plan.failedOut) {
    status.phase = "Failed";
    const msg = `${counts.failed} trials failed, more than maxFailedTrials (${maxFailedOf(search)}); no more trials are started. ${summary}; see the failed trials' conditions (status.trialRecords[].reason)`;
    conditions = failed(Reason.TooManyTrialsFailed, msg);
  } else if (o.blocked) {
    status.phase = "Running";
    conditions = failed(o.blocked.reason, o.blocked.message);
  } else if (o.plan.done && best && model) {
    status.phase = "Succeeded";
    status.model = {
      trainingJob: best.tj.metadata?.name ?? "",
      uri: model.uri,
      digest: model.digest,
      version: model.version,
      ...(model.dataSetDigest ? { dataSetDigest: model.dataSetDigest } : {}),
      parameters: parametersText(best.observation.parameters),
      objective: bestObjective ?? Number.NaN,
    };
    conditions = [
      { type: ConditionType.Ready, status: "True", reason: Reason.Succeeded, message: `${bestText}; ${summary}` },
    ];
  } else if (o.plan.done) {
    status.phase = "Failed";
    conditions = failed(Reason.NoTrialSucceeded, `every trial ended without a result: ${summary}`);
  } else {
    status.phase = "Running";
    // A search resumed by a larger maxTrials keeps its last result until it ends again.
    if (prev.model) status.model = prev.model;
    const msg = `${bestText}; ${summary} (${search.spec.parallelism} at a time)`;
    conditions = [
      { type: ConditionType.Ready, status: "False", reason: Reason.Searching, message: msg },
      { type: ConditionType.Reconciling, status: "True", reason: Reason.Searching, message: msg },
    ];
  }
  if (gen !== undefined) status.observedGeneration = gen;
  status.conditions = applyConditions(prev.conditions, conditions, gen, now);
  return status;
}

function failed(reason: string, message: string): ConditionInput[] {
  return [
    { type: ConditionType.Ready, status: "False", reason, message },
    { type: ConditionType.Stalled, status: "True", reason, message },
  ];
}
