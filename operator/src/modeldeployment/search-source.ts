// A ModelDeployment that names a TrainingSearch (model.trainingSearchRef, or canary.model's) as the rest of the
// reconciler sees it (pure): the search's best trial (status.model.trainingJob, a TrainingJob) becomes the model's
// trainingJobRef, so the children, capture, the loop, monitoring and status treat it as any TrainingJob's model. The
// view is in memory only; spec is never written. trainingSearchRef stays in the view, for the MODEL column.
import type { ModelDeployment, TrainingSearch } from "../api/v1alpha1/index.js";
import { findCondition } from "../controller/conditions.js";
import { ConditionType, Reason, type ReasonName, type ReconcileFailure, stalled, waiting } from "../reasons.js";

type ModelSpec = ModelDeployment["spec"]["model"];

export interface SearchView {
  /** The ModelDeployment with every finished search's best trial as trainingJobRef (the input itself when none). */
  mdep: ModelDeployment;
  /** Why spec.model's search has no model to serve yet (the deployment waits, or is stalled when the search failed). */
  failure?: ReconcileFailure;
}

const REASONS: ReadonlySet<string> = new Set(Object.values(Reason));

/** The best trial's TrainingJob, once the search has succeeded (status.model is set only then). */
export function bestTrainingJob(search: TrainingSearch | undefined): string | undefined {
  return search?.status?.model?.trainingJob || undefined;
}

/** Where a search that has no model stands, in a few words: its phase, trials and best so far. */
function progress(search: TrainingSearch): string {
  const s = search.status ?? {};
  const parts = [`phase ${s.phase ?? "Pending"}`];
  if (s.trials) {
    const budget = search.spec.maxTrials;
    parts.push(`${s.trials.total} of ${budget} trials, ${s.trials.running} running`);
  }
  parts.push(
    s.best
      ? `best ${s.objective?.metric ?? search.spec.objective.metric} ${s.best.shortObjective} by ${s.best.trial}`
      : "no trial finished yet",
  );
  return parts.join(", ");
}

/** Why spec.model's search has no model: not found, failed (stalled, with the search's reason), or not finished. */
export function searchFailure(name: string, search: TrainingSearch | undefined): ReconcileFailure {
  if (!search)
    return waiting(Reason.ModelNotReady, `TrainingSearch ${name} not found; create it or fix model.trainingSearchRef`);
  const stuck = findCondition(search.status?.conditions, ConditionType.Stalled);
  if (search.status?.phase === "Failed" || stuck?.status === "True") {
    const ready = findCondition(search.status?.conditions, ConditionType.Ready);
    const cause = stuck?.status === "True" ? stuck : ready;
    // The search's own reason (TooManyTrialsFailed, NoTrialSucceeded, ...) when the catalogue has it.
    const reason = (cause && REASONS.has(cause.reason) ? cause.reason : Reason.SearchNotFinished) as ReasonName;
    const why = cause?.message ? `: ${cause.message}` : "";
    return stalled(
      reason,
      `TrainingSearch ${name} failed without a model to serve (${cause?.reason ?? "phase Failed"})${why}`,
    );
  }
  return waiting(
    Reason.SearchNotFinished,
    `TrainingSearch ${name} has not finished (${progress(search)}); waiting for its best model`,
  );
}

/** One model source with its search's best trial as trainingJobRef; unchanged when it names no finished search. */
function resolved(model: ModelSpec, getSearch: (name: string) => TrainingSearch | undefined): ModelSpec {
  const ref = model.trainingSearchRef?.name;
  const best = ref === undefined ? undefined : bestTrainingJob(getSearch(ref));
  return best ? { ...model, trainingJobRef: { name: best } } : model;
}

/**
 * The ModelDeployment with its searches resolved. spec.model's search without a model is a failure (nothing can be
 * served from it); canary.model's is left as it is, and the canary waits (model-source.ts says why), as a canary whose
 * TrainingJob has not succeeded does.
 */
export function resolveSearches(
  mdep: ModelDeployment,
  getSearch: (name: string) => TrainingSearch | undefined,
): SearchView {
  const stableRef = mdep.spec.model.trainingSearchRef?.name;
  const canaryRef = mdep.spec.canary?.model?.trainingSearchRef?.name;
  if (stableRef === undefined && canaryRef === undefined) return { mdep };
  if (stableRef !== undefined && !bestTrainingJob(getSearch(stableRef))) {
    return { mdep, failure: searchFailure(stableRef, getSearch(stableRef)) };
  }
  const out = structuredClone(mdep);
  out.spec.model = resolved(out.spec.model, getSearch);
  if (out.spec.canary?.model) out.spec.canary.model = resolved(out.spec.canary.model, getSearch);
  return { mdep: out };
}

/** Longest status.model.summary (the CRD's maxLength). */
const SUMMARY_CHARS = 64;

/**
 * The MODEL column of a search-served model: "search <search> → trial <trial>", shortened to the trial's index, then
 * to the trial alone, when the names are long.
 */
export function searchSummary(search: string, trial: string): string {
  const index = trial.startsWith(`${search}-`) ? trial.slice(search.length + 1) : undefined;
  const candidates = [
    `search ${search} → trial ${trial}`,
    ...(index !== undefined ? [`search ${search} → trial #${index}`] : []),
    trial,
  ];
  const fits = candidates.find((c) => c.length <= SUMMARY_CHARS);
  return fits ?? `${trial.slice(0, SUMMARY_CHARS - 1)}…`;
}
