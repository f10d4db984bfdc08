// The human view of a DriftReport (pure): a header line, one row per feature (worst first) with the baseline and
// live histograms side by side, then the live quality.
import { table } from "../cli/terminal.js";
import type { DriftReport } from "./drift-report.js";
import { sideBySide } from "./histogram.js";

const f3 = (v: number | undefined) => (v === undefined ? "-" : v.toFixed(3));

export interface DriftViewOptions {
  /** "modeldeployment/penguins in namespace demo" */
  what: string;
  /** Ready pods that were asked (pods in the report answered). */
  asked: number;
  wide: boolean;
  /** spec.monitoring.feedback */
  feedbackOn: boolean;
}

export function driftLines(r: DriftReport, o: DriftViewOptions): string[] {
  const out: string[] = [];
  const threshold = r.threshold === undefined ? "no drift threshold" : `drift threshold PSI ${r.threshold}`;
  out.push(
    `${o.what}: ${r.pods} of ${o.asked} ready pod(s) read, window ${r.windowSeconds}s, ${r.rows} row(s), ${threshold}`,
  );
  if (r.baselineError) out.push(`baseline not loaded: ${r.baselineError}`);
  out.push("");
  if (r.features.length === 0) {
    out.push("DRIFT: no baseline to compare with (spec.monitoring.drift unset, or the model has no statistics)");
  } else {
    const headers = [
      "feature",
      "source",
      "psi",
      "js",
      "state",
      "baseline",
      "live",
      ...(o.wide ? ["rows", "bins"] : []),
    ];
    const rows = r.features.map((f) => {
      const h = sideBySide(f.baseline, f.live);
      const state = f.rows === 0 ? "NO DATA" : f.drifted ? "DRIFTED" : "OK";
      return [
        f.name,
        f.source,
        f3(f.psi),
        f3(f.jensenShannon),
        state,
        h.baseline,
        h.live,
        ...(o.wide ? [String(f.rows), f.labels.join(",")] : []),
      ];
    });
    out.push(...table(headers, rows).split("\n"));
    out.push("", ...binLegend(r));
    if (r.unmatched.length > 0) out.push("", `columns the baseline does not know: ${r.unmatched.join(", ")}`);
  }
  out.push("");
  out.push(...qualityLines(r, o.feedbackOn));
  return out;
}

/** The OTHER bin of a categorical baseline (runtime/src/serve/monitoring/baseline.ts). */
const OTHER = "__other__";
const isNumeric = (labels: readonly string[]) => labels.every((l) => /^\d+$/.test(l));

/** What the bins are: deciles for numbers, the top values (then the rest) for categories. */
function binLegend(r: DriftReport): string[] {
  const lines: string[] = [];
  if (r.features.some((f) => isNumeric(f.labels)))
    lines.push("bins of numeric columns: the training data's deciles, lowest first");
  for (const f of r.features) {
    if (f.labels.length === 0 || isNumeric(f.labels)) continue;
    lines.push(`bins of ${f.name}: ${f.labels.map((l) => (l === OTHER ? "(other)" : l)).join(", ")}`);
  }
  return lines;
}

function qualityLines(r: DriftReport, feedbackOn: boolean): string[] {
  const q = r.quality;
  if (!feedbackOn && q === undefined) return ["QUALITY: feedback is off (spec.monitoring.feedback)"];
  if (q === undefined || q.feedback === 0)
    return [
      `QUALITY: no feedback in the last ${r.windowSeconds}s; send the true labels to :feedback (docs/monitoring.md)`,
    ];
  if (q.task === "regression")
    return [`QUALITY (${q.feedback} feedback label(s) in the window): MAE ${f3(q.mae)}   RMSE ${f3(q.rmse)}`];
  return [
    `QUALITY (${q.feedback} feedback label(s) in the window): accuracy ${f3(q.accuracy)}   ` +
      `precision ${f3(q.macroPrecision)}   recall ${f3(q.macroRecall)}   F1 ${f3(q.macroF1)}   (macro)`,
    "",
    ...table(
      ["class", "precision", "recall", "f1", "support"],
      q.classes.map((c) => [c.class, f3(c.precision), f3(c.recall), f3(c.f1), String(c.support)]),
    ).split("\n"),
  ];
}
