// The terminal view of `kubectl liftoff curves`: a header line, then one braille chart per panel (loss-like, then
// score-like metrics), sized to the terminal. Pure: the command prints the lines.
import { paint, type Terminal } from "../cli/terminal.js";
import { brailleChart } from "./braille.js";
import { type CurvesModel, xMaxOf } from "./curves.js";
import { formatNumber } from "./numbers.js";

/** `trainingjob/penguins  Running  epoch 7/20  best val_accuracy 0.9712 (epoch 6)`. */
export function headerLine(term: Pick<Terminal, "color">, m: CurvesModel): string {
  const parts = [
    paint(term, "bold", `trainingjob/${m.name}`),
    phaseText(term, m.phase),
    `epoch ${m.epoch}/${m.epochs}`,
  ];
  if (m.best) parts.push(`best ${m.best.metric} ${formatNumber(m.best.value)} (epoch ${m.best.epoch})`);
  if (m.stride > 1) parts.push(paint(term, "dim", `every ${m.stride} epochs`));
  return parts.join("  ");
}

function phaseText(term: Pick<Terminal, "color">, phase: string): string {
  const style = phase === "Succeeded" ? "green" : phase === "Failed" ? "red" : phase === "Running" ? "cyan" : "yellow";
  return paint(term, style, phase);
}

/** The one line for a run with no epoch yet. */
export function noEpochLine(m: CurvesModel): string {
  return `trainingjob/${m.name} (${m.phase}) has not finished an epoch yet; its curves appear after the first one`;
}

/**
 * Rows per panel: on a TTY the screen's height shared between the panels, so a whole frame fits and the header never
 * scrolls off (a watch redraws from the top); else 10.
 */
function panelHeight(term: Pick<Terminal, "isTTY" | "rows">, panels: number): number {
  if (!term.isTTY || panels === 0) return 10;
  // The header, the cursor's line and one for the prompt after it; per panel: blank, title, x axis, x labels, legend.
  const free = term.rows - 3 - panels * 5;
  return Math.max(4, Math.min(16, Math.floor(free / panels)));
}

export function renderCurves(term: Pick<Terminal, "color" | "isTTY" | "rows" | "columns">, m: CurvesModel): string[] {
  const lines = [headerLine(term, m)];
  if (m.points.length === 0) return [noEpochLine(m)];
  const height = panelHeight(term, m.panels.length);
  const width = Math.max(30, term.columns - 1);
  for (const panel of m.panels) {
    lines.push("", paint(term, "dim", panel.title));
    lines.push(...brailleChart(term, panel.series, { width, height, xMin: 1, xMax: xMaxOf(m) }));
  }
  return lines;
}
