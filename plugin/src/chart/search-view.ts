// The terminal view of `kubectl liftoff curves tsearch/NAME`: a header (the search, its phase, the trial counts and
// the best objective), the best trial's parameters, one braille chart of the objective per epoch with a series per
// trial, and a table of the trials. Pure: the command prints the lines.
import { paint, type Style, type Terminal, table } from "../cli/terminal.js";
import { brailleChart } from "./braille.js";
import { formatNumber } from "./numbers.js";
import {
  countsText,
  parametersText,
  type SearchCurvesModel,
  searchXMax,
  TRIAL_STYLE,
  type TrialCurve,
  trialSeries,
} from "./search.js";

type Term = Pick<Terminal, "color" | "isTTY" | "rows" | "columns">;

function phaseText(term: Pick<Terminal, "color">, phase: string): string {
  const style = phase === "Succeeded" ? "green" : phase === "Failed" ? "red" : phase === "Running" ? "cyan" : "yellow";
  return paint(term, style, phase);
}

/** `trainingsearch/digits  Running  best val_accuracy 0.9722 (trial 3, maximize)`; the counts go on the next line. */
export function searchHeaderLine(term: Pick<Terminal, "color">, m: SearchCurvesModel): string {
  const parts = [paint(term, "bold", `trainingsearch/${m.name}`), phaseText(term, m.phase)];
  parts.push(
    m.best
      ? `best ${m.metric} ${formatNumber(m.best.objective)} (trial ${m.best.index}, ${m.goal})`
      : `no finished trial yet (${m.metric}, ${m.goal})`,
  );
  return parts.join("  ");
}

/** `best trial digits-3: learningRate=0.0123, batchSize=32`, or undefined before a trial has finished. */
export function bestLine(m: SearchCurvesModel): string | undefined {
  if (!m.best) return undefined;
  const params = parametersText(m.best.parameters);
  return `best trial ${m.best.trial}${params ? `: ${params}` : ""}`;
}

/**
 * Why a trial ended, short enough for a table row: a stopped trial's rule and epoch (the annotation's
 * `<rule> at epoch <n>: <why>` up to the colon; -o json has it whole), a failed trial's reason and message.
 */
function shortReason(t: TrialCurve): string | undefined {
  if (!t.reason) return undefined;
  return t.state === "StoppedEarly" ? (t.reason.split(":")[0] ?? t.reason) : t.reason;
}

/** One row per trial: ★ on the best, its state (coloured as its curve), epochs, objective, parameters, why it stopped. */
export function trialTable(term: Pick<Terminal, "color">, m: SearchCurvesModel): string[] {
  const rows = m.trials.map((t) => {
    const look = TRIAL_STYLE[t.best ? "best" : t.state];
    return [
      `${t.best ? "★" : " "} ${t.index}`,
      paint(term, look.style, t.state),
      String(t.epochs),
      t.objective !== undefined ? formatNumber(t.objective) : "",
      [
        parametersText(t.parameters),
        t.reason && t.state !== "Succeeded" ? paint(term, "dim", `(${shortReason(t)})`) : "",
      ]
        .filter(Boolean)
        .join("  "),
    ];
  });
  return table(["  trial", "state", "epochs", m.metric, "parameters"], rows).split("\n");
}

/** The legend: the groups the chart has (the header counts them; failed trials are not drawn). */
function legendOf(m: SearchCurvesModel) {
  const drawn = trialSeries(m).map((s) => s.trial);
  const out: { name: string; style: Style; dashed: boolean }[] = [];
  const best = drawn.find((t) => t.best);
  if (best) out.push({ ...TRIAL_STYLE.best, name: `best (#${best.index})` });
  for (const state of ["Succeeded", "Running", "StoppedEarly"] as const) {
    if (drawn.some((t) => !t.best && t.state === state))
      out.push({ ...TRIAL_STYLE[state], name: TRIAL_STYLE[state].label });
  }
  return out;
}

/** The one line for a search none of whose trials has finished an epoch. */
export function noSearchEpochLine(m: SearchCurvesModel): string {
  return `trainingsearch/${m.name} (${m.phase}, ${m.counts.total} trials) has no trial with a finished epoch yet; its curves appear after the first one`;
}

/** Chart rows: on a TTY what the screen has left after the header, the table and the prompt (4–16); else 12. */
function chartHeight(term: Term, tableRows: number): number {
  if (!term.isTTY) return 12;
  // header, counts, best line, blank, title, x axis, x labels, legend, blank, the table, the cursor's line and the prompt
  const free = term.rows - 11 - tableRows;
  return Math.max(4, Math.min(16, free));
}

export function renderSearchCurves(term: Term, m: SearchCurvesModel): string[] {
  const series = trialSeries(m);
  if (series.length === 0) return [noSearchEpochLine(m)];
  const lines = [searchHeaderLine(term, m), countsText(m)];
  const best = bestLine(m);
  if (best) lines.push(best);
  const tableLines = trialTable(term, m);
  lines.push("", paint(term, "dim", `${m.metric} per epoch (${m.goal === "maximize" ? "higher" : "lower"} is better)`));
  lines.push(
    ...brailleChart(term, series, {
      width: Math.max(30, term.columns - 1),
      height: chartHeight(term, tableLines.length),
      xMin: 1,
      xMax: searchXMax(m),
      legend: legendOf(m),
    }),
  );
  lines.push("", ...tableLines);
  return lines;
}
