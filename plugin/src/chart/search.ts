// What `kubectl liftoff curves tsearch/NAME` draws, from a TrainingSearch and its trial TrainingJobs as the API server
// sends them: the objective metric (spec.objective.metric, e.g. val_accuracy) per epoch, one series per trial, from
// each trial's status.history; the trial's state (Running, Succeeded, StoppedEarly, Failed) from the search's
// status.trialRecords, else from the TrainingJob itself (the stopped-early annotation, its phase); the best trial
// from status.best. Pure: unknown input is read defensively, anything malformed is skipped.
import { ANNOTATION_STOPPED_EARLY, ANNOTATION_TRIAL_PARAMETERS } from "../../../operator/src/trainingsearch/names.js";
import {
  failureReason,
  type Goal,
  impliedGoal,
  objectiveCurve,
  type TrialState,
  trialState,
} from "../../../operator/src/trainingsearch/trial-view.js";
import type { Style } from "../cli/terminal.js";
import type { Series } from "./braille.js";

// The trials' label, for the list call (operator/src/trainingsearch/names.ts).
export { LABEL_SEARCH } from "../../../operator/src/trainingsearch/names.js";
export type { Goal, TrialState };

export interface TrialCurve {
  index: number;
  /** Its TrainingJob: <search>-<index>. */
  name: string;
  state: TrialState;
  /** Name → value as text, as status.trialRecords and status.best carry them. */
  parameters: Record<string, string>;
  /** The objective per epoch (x: epoch, y: value), from the trial's status.history. */
  points: { x: number; y: number }[];
  /** The last epoch's value (the record's, else the curve's last point). */
  objective?: number;
  /** Epochs it ran. */
  epochs: number;
  /** Why it stopped early or failed. */
  reason?: string;
  best: boolean;
}

interface TrialCounts {
  total: number;
  running: number;
  stoppedEarly: number;
  succeeded: number;
  failed: number;
}

export interface SearchCurvesModel {
  name: string;
  namespace: string;
  phase: string;
  metric: string;
  goal: Goal;
  counts: TrialCounts;
  maxTrials?: number;
  best?: { trial: string; index: number; objective: number; parameters: Record<string, string> };
  /** Every trial by index (failed ones too: the view lists them, the chart leaves them out). */
  trials: TrialCurve[];
  /** Epochs a trial is planned to run (template.spec.hyperparameters.epochs, else the trials' progress). */
  epochs: number;
}

// biome-ignore lint/suspicious/noExplicitAny: objects as the API server sends them; read defensively below
type Obj = Record<string, any>;

const TRIAL_STATES: readonly TrialState[] = ["Running", "Succeeded", "StoppedEarly", "Failed"];
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** The goal as the search applies it: status.objective.goal, else the spec's, else derived as the CRD documents it. */
export function goalOf(metric: string, given: unknown): Goal {
  if (given === "minimize" || given === "maximize") return given;
  return impliedGoal(metric);
}

function textMap(v: unknown): Record<string, string> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === "string" || typeof x === "number" || typeof x === "boolean") out[k] = String(x);
  }
  return out;
}

/** The parameters the search annotated the trial with (JSON name → value); {} when absent or not JSON. */
function annotatedParameters(tj: Obj): Record<string, string> {
  const raw = tj.metadata?.annotations?.[ANNOTATION_TRIAL_PARAMETERS];
  if (typeof raw !== "string") return {};
  try {
    return textMap(JSON.parse(raw));
  } catch {
    return {};
  }
}

/** The trial index of a TrainingJob named <search>-<index>, or undefined when it is not one of this search's. */
function indexOf(search: string, tj: Obj): number | undefined {
  const name = tj.metadata?.name;
  if (typeof name !== "string" || !name.startsWith(`${search}-`)) return undefined;
  const rest = name.slice(search.length + 1);
  return /^(0|[1-9][0-9]*)$/.test(rest) ? Number(rest) : undefined;
}

function countsOf(trials: readonly TrialCurve[]): TrialCounts {
  const n = (s: TrialState) => trials.filter((t) => t.state === s).length;
  return {
    total: trials.length,
    running: n("Running"),
    stoppedEarly: n("StoppedEarly"),
    succeeded: n("Succeeded"),
    failed: n("Failed"),
  };
}

/**
 * The model of a search: `search` is the TrainingSearch, `jobs` its trial TrainingJobs (listed by the
 * liftoff.dev/trainingsearch label; only those named <search>-<index> are taken, since the label is cut at 63
 * characters and could match another search's).
 */
export function searchCurvesModel(search: Obj, jobs: readonly Obj[]): SearchCurvesModel {
  const name = String(search.metadata?.name ?? "");
  const s = search.status ?? {};
  const metric = String(s.objective?.metric ?? search.spec?.objective?.metric ?? "val_loss");
  const goal = goalOf(metric, s.objective?.goal ?? search.spec?.objective?.goal);
  const byIndex = new Map<number, Obj>();
  for (const tj of jobs) {
    const i = indexOf(name, tj);
    if (i !== undefined) byIndex.set(i, tj);
  }
  const records = new Map<number, Obj>();
  for (const r of Array.isArray(s.trialRecords) ? s.trialRecords : []) {
    if (Number.isInteger(r?.index) && r.index >= 0) records.set(r.index, r);
  }
  // The API server hands string maps back with their keys sorted: show parameters in the order the spec lists them.
  const order: string[] = (Array.isArray(search.spec?.parameters) ? search.spec.parameters : [])
    .map((p: Obj) => p?.name)
    .filter((n: unknown): n is string => typeof n === "string");
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  const inOrder = (p: Record<string, string>) =>
    Object.fromEntries(Object.entries(p).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b)));
  const bestIndex = Number.isInteger(s.best?.index) ? (s.best.index as number) : undefined;
  const indices = [...new Set([...records.keys(), ...byIndex.keys()])].sort((a, b) => a - b);
  const trials = indices.map((index): TrialCurve => {
    const r = records.get(index);
    const tj = byIndex.get(index);
    const points = objectiveCurve(tj, metric).map((p) => ({ x: p.epoch, y: p.value }));
    // The TrainingJob may be ahead of the search's last status write (it finished or was stopped since): a terminal
    // state seen on the job wins over a record that still says Running.
    const fromJob = tj ? trialState(tj) : undefined;
    const recorded = TRIAL_STATES.includes(r?.state) ? (r?.state as TrialState) : undefined;
    const state = fromJob && fromJob !== "Running" ? fromJob : (recorded ?? fromJob ?? "Running");
    // A failed trial has no objective (its last epoch is not a result); any other shows where its curve is now.
    const objective = isNum(r?.objective) ? r.objective : state === "Failed" ? undefined : points.at(-1)?.y;
    const stopped = tj?.metadata?.annotations?.[ANNOTATION_STOPPED_EARLY];
    const reason =
      typeof r?.reason === "string" && r.reason
        ? r.reason
        : typeof stopped === "string"
          ? stopped
          : state === "Failed"
            ? failureReason(tj)
            : undefined;
    const epochs = Math.max(
      Number.isInteger(r?.epochs) ? r?.epochs : 0,
      isNum(tj?.status?.progress?.epoch) ? tj.status.progress.epoch : 0,
      points.at(-1)?.x ?? 0,
    );
    const parameters = inOrder(r?.parameters ? textMap(r.parameters) : tj ? annotatedParameters(tj) : {});
    return {
      index,
      name: typeof r?.name === "string" ? r.name : (tj?.metadata?.name ?? `${name}-${index}`),
      state,
      parameters,
      points,
      ...(objective !== undefined ? { objective } : {}),
      epochs,
      ...(typeof reason === "string" && reason ? { reason } : {}),
      best: index === bestIndex,
    };
  });
  const t = s.trials;
  const counts: TrialCounts =
    t && [t.total, t.running, t.stoppedEarly, t.succeeded, t.failed].every((v) => Number.isInteger(v))
      ? { total: t.total, running: t.running, stoppedEarly: t.stoppedEarly, succeeded: t.succeeded, failed: t.failed }
      : countsOf(trials);
  const planned = search.spec?.template?.spec?.hyperparameters?.epochs;
  const epochs = Number.isInteger(planned)
    ? (planned as number)
    : Math.max(0, ...jobs.map((j) => (isNum(j.status?.progress?.epochs) ? j.status.progress.epochs : 0)));
  const best =
    s.best && typeof s.best.trial === "string" && bestIndex !== undefined && isNum(s.best.objective)
      ? {
          trial: s.best.trial,
          index: bestIndex,
          objective: s.best.objective,
          parameters: inOrder(textMap(s.best.parameters)),
        }
      : undefined;
  return {
    name,
    namespace: String(search.metadata?.namespace ?? ""),
    phase: typeof s.phase === "string" ? s.phase : "Pending",
    metric,
    goal,
    counts,
    ...(Number.isInteger(search.spec?.maxTrials) ? { maxTrials: search.spec.maxTrials } : {}),
    ...(best ? { best } : {}),
    trials,
    epochs,
  };
}

/** How each kind of trial is drawn: the best on top in green, stopped-early ones dim and dashed, failed ones left out. */
export const TRIAL_STYLE: Readonly<Record<TrialState | "best", { style: Style; dashed: boolean; label: string }>> = {
  best: { style: "green", dashed: false, label: "best" },
  Succeeded: { style: "cyan", dashed: false, label: "done" },
  Running: { style: "yellow", dashed: false, label: "running" },
  StoppedEarly: { style: "gray", dashed: true, label: "stopped early" },
  Failed: { style: "red", dashed: true, label: "failed" },
};

/** Drawing order: what matters most last, so it owns the cells it shares with the others. */
const ORDER: Readonly<Record<TrialState, number>> = { Failed: 0, StoppedEarly: 1, Succeeded: 2, Running: 3 };

/** The chart's series: one per trial with at least one epoch, failed trials omitted, the best drawn last. */
export function trialSeries(m: SearchCurvesModel): (Series & { trial: TrialCurve })[] {
  return m.trials
    .filter((t) => t.state !== "Failed" && t.points.length > 0)
    .sort((a, b) => Number(a.best) - Number(b.best) || ORDER[a.state] - ORDER[b.state] || a.index - b.index)
    .map((t) => {
      const look = TRIAL_STYLE[t.best ? "best" : t.state];
      return { name: `#${t.index}`, style: look.style, dashed: look.dashed, points: t.points, trial: t };
    });
}

/** A finished search draws its x axis to the last epoch any trial reached; a running one to the epochs planned. */
export function searchXMax(m: SearchCurvesModel): number {
  const last = Math.max(1, ...m.trials.map((t) => t.points.at(-1)?.x ?? 1));
  return isSearchFinished(m) ? last : Math.max(last, m.epochs);
}

export function isSearchFinished(m: Pick<SearchCurvesModel, "phase">): boolean {
  return m.phase === "Succeeded" || m.phase === "Failed";
}

/** `learningRate=0.0123, batchSize=32`: parameters in the order given. */
export function parametersText(p: Readonly<Record<string, string>>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
}

/** `12/16 trials: 2 running, 7 stopped early, 3 done, 0 failed`. */
export function countsText(m: Pick<SearchCurvesModel, "counts" | "maxTrials">): string {
  const c = m.counts;
  const of = m.maxTrials !== undefined ? `${c.total}/${m.maxTrials}` : String(c.total);
  return `${of} trials: ${c.running} running, ${c.stoppedEarly} stopped early, ${c.succeeded} done, ${c.failed} failed`;
}

/** The machine view (-o json|yaml): the search's facts and every trial with its curve. */
export function searchDoc(m: SearchCurvesModel) {
  return {
    name: m.name,
    namespace: m.namespace,
    phase: m.phase,
    objective: { metric: m.metric, goal: m.goal },
    trials: m.counts,
    ...(m.best ? { best: m.best } : {}),
    trialCurves: m.trials.map((t) => ({
      index: t.index,
      name: t.name,
      state: t.state,
      best: t.best,
      parameters: t.parameters,
      ...(t.objective !== undefined ? { objective: t.objective } : {}),
      epochs: t.epochs,
      ...(t.reason ? { reason: t.reason } : {}),
      curve: t.points.map((p) => ({ epoch: p.x, value: p.y })),
    })),
  };
}
