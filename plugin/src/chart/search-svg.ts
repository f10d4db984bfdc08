// The `--png` picture of a search as SVG: the objective per epoch, one line per trial — the best thick and green and
// named at its end, the others thin (done in cyan, running in amber, each numbered at its end), stopped-early ones
// grey and dashed with a ring where they were stopped — and a legend of the groups (the header counts them). Pure (a string out);
// png.ts rasterizes it with the same DejaVu Sans as the TrainingJob's chart.
import { yRange } from "./braille.js";
import { formatNumber } from "./numbers.js";
import { countsText, parametersText, type SearchCurvesModel, searchXMax, TRIAL_STYLE, trialSeries } from "./search.js";
import { COLOURS, DEFAULT_SIZE, esc, r1, ticks } from "./svg.js";

const WIDTH: Readonly<Record<"best" | "line" | "stopped", number>> = { best: 4, line: 2, stopped: 1.5 };

export function searchCurvesSvg(m: SearchCurvesModel, size: { width: number; height: number } = DEFAULT_SIZE): string {
  const { width, height } = size;
  const left = 80;
  const right = width - 250;
  const top = 125;
  const bottom = height - 60;
  const series = trialSeries(m);
  const [lo, hi] = yRange(series);
  const pad = (hi - lo) * 0.05;
  const [yMin, yMax] = [lo - pad, hi + pad];
  const xMin = 1;
  const xMax = Math.max(searchXMax(m), xMin + 1);
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin)) * (right - left);
  const sy = (y: number) => bottom - ((y - yMin) / (yMax - yMin)) * (bottom - top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
  ];
  const best = m.best
    ? `best ${m.metric} ${formatNumber(m.best.objective)} (trial ${m.best.index}, ${m.goal})`
    : `no finished trial yet (${m.metric}, ${m.goal})`;
  out.push(
    `<text x="20" y="32" font-size="20" fill="#111827"><tspan font-weight="bold">trainingsearch/${esc(m.name)}</tspan> · ${esc(m.phase)} · ${esc(best)}</text>`,
    `<text x="20" y="58" font-size="15" fill="#374151">${esc(countsText(m))}</text>`,
  );
  if (m.best) {
    const params = parametersText(m.best.parameters);
    out.push(
      `<text x="20" y="82" font-size="15" fill="${COLOURS.green}">${esc(`best trial ${m.best.trial}${params ? `: ${params}` : ""}`)}</text>`,
    );
  }
  for (const t of ticks(yMin, yMax)) {
    const y = r1(sy(t));
    out.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e7eb"/>`);
    out.push(
      `<text x="${left - 8}" y="${y + 5}" font-size="13" text-anchor="end" fill="#374151">${esc(formatNumber(t))}</text>`,
    );
  }
  for (const t of ticks(xMin, xMax, 8).filter((t) => Number.isInteger(t))) {
    const x = r1(sx(t));
    out.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="#374151"/>`);
    out.push(`<text x="${x}" y="${bottom + 22}" font-size="13" text-anchor="middle" fill="#374151">${t}</text>`);
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${r1(right - left)}" height="${r1(bottom - top)}" fill="none" stroke="#374151"/>`,
    `<text x="${r1((left + right) / 2)}" y="${bottom + 42}" font-size="14" text-anchor="middle" fill="#374151">epoch</text>`,
    `<text x="${left}" y="${top - 10}" font-size="16" font-weight="bold" fill="#111827">${esc(m.metric)} per epoch, one line per trial (${m.goal === "maximize" ? "higher" : "lower"} is better)</text>`,
  );
  const labels: { x: number; y: number; text: string }[] = [];
  for (const s of series) {
    const t = s.trial;
    const colour = COLOURS[s.style];
    const w = t.best ? WIDTH.best : t.state === "StoppedEarly" ? WIDTH.stopped : WIDTH.line;
    const pts = s.points.map((p) => `${r1(sx(p.x))},${r1(sy(p.y))}`).join(" ");
    const dash = s.dashed ? ` stroke-dasharray="6 4"` : "";
    const opacity = t.best ? "" : ` stroke-opacity="0.85"`;
    if (s.points.length > 1) {
      out.push(
        `<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="${w}"${dash}${opacity} stroke-linejoin="round"/>`,
      );
    }
    const end = s.points.at(-1);
    if (!end) continue;
    const ex = r1(sx(end.x));
    const ey = r1(sy(end.y));
    if (t.state === "StoppedEarly") {
      // A ring where the rule stopped it.
      out.push(`<circle cx="${ex}" cy="${ey}" r="3.5" fill="#ffffff" stroke="${colour}" stroke-width="1.5"/>`);
    } else {
      out.push(`<circle cx="${ex}" cy="${ey}" r="${t.best ? 5 : 3}" fill="${colour}"/>`);
      const size = t.best ? 14 : 11;
      labels.push({
        x: ex,
        y: ey + 4,
        text: `x="${r1(ex + 7)}" font-size="${size}"${t.best ? ' font-weight="bold"' : ""} fill="${colour}">#${t.index}${t.best ? " best" : ""}`,
      });
    }
  }
  // The end labels of curves that end at the same epoch top to bottom, each at least a line below the one above, so
  // trials that end together stay readable.
  labels.sort((a, b) => a.x - b.x || a.y - b.y);
  let floor = { x: Number.NaN, y: -Infinity };
  for (const l of labels) {
    const y = l.x === floor.x ? Math.max(l.y, floor.y + 13) : l.y;
    floor = { x: l.x, y };
    out.push(`<text y="${r1(y)}" ${l.text}</text>`);
  }
  // The legend, right of the plot: one entry per group drawn, with its count.
  const drawn = series.map((s) => s.trial);
  const groups = [
    { look: TRIAL_STYLE.best, n: drawn.filter((t) => t.best).length, w: WIDTH.best },
    ...(["Succeeded", "Running", "StoppedEarly"] as const).map((st) => ({
      look: TRIAL_STYLE[st],
      n: drawn.filter((t) => !t.best && t.state === st).length,
      w: st === "StoppedEarly" ? WIDTH.stopped : WIDTH.line,
    })),
  ].filter((g) => g.n > 0);
  const failed = m.trials.filter((t) => t.state === "Failed").length;
  const lx = right + 95;
  groups.forEach((g, i) => {
    const y = top + 20 + i * 26;
    const dash = g.look.dashed ? ` stroke-dasharray="6 4"` : "";
    out.push(
      `<line x1="${lx}" y1="${y - 5}" x2="${lx + 30}" y2="${y - 5}" stroke="${COLOURS[g.look.style]}" stroke-width="${g.w}"${dash}/>`,
      `<text x="${lx + 38}" y="${y}" font-size="14" fill="#111827">${esc(g.look.label)}</text>`,
    );
  });
  if (failed > 0) {
    out.push(
      `<text x="${lx}" y="${top + 20 + groups.length * 26}" font-size="14" fill="${COLOURS.red}">${esc(`failed (${failed}): not drawn`)}</text>`,
    );
  }
  out.push("</svg>");
  return out.join("\n");
}
