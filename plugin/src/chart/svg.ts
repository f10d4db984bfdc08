// The `--png` picture as SVG: the same header and panels as the terminal view, side by side, with grid lines,
// labelled axes and a legend. Pure (a string out); png.ts rasterizes it. Text uses the DejaVu Sans it is rendered with.
import type { Style } from "../cli/terminal.js";
import { yRange } from "./braille.js";
import { type CurvesModel, type Panel, xMaxOf } from "./curves.js";
import { formatNumber } from "./numbers.js";
import { headerLine } from "./view.js";

export const DEFAULT_SIZE = { width: 1200, height: 700 } as const;

export const COLOURS: Record<Style, string> = {
  cyan: "#0891b2",
  magenta: "#c026d3",
  yellow: "#ca8a04",
  green: "#16a34a",
  blue: "#2563eb",
  red: "#dc2626",
  gray: "#6b7280",
  bold: "#111827",
  dim: "#6b7280",
};

export const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
export const r1 = (n: number) => Math.round(n * 10) / 10;

/** About `count` round tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag) as number;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function panelSvg(panel: Panel, x0: number, y0: number, w: number, h: number, xMax: number): string {
  const left = x0 + 70;
  const right = x0 + w - 20;
  const top = y0 + 40;
  const bottom = y0 + h - 50;
  const [lo, hi] = yRange(panel.series);
  const pad = (hi - lo) * 0.05; // the curves clear the frame
  const [yMin, yMax] = [lo - pad, hi + pad];
  const xMin = 1;
  const xHi = Math.max(xMax, xMin + 1);
  const sx = (x: number) => left + ((x - xMin) / (xHi - xMin)) * (right - left);
  const sy = (y: number) => bottom - ((y - yMin) / (yMax - yMin)) * (bottom - top);
  const out: string[] = [];
  out.push(
    `<text x="${left}" y="${y0 + 24}" font-size="18" font-weight="bold" fill="#111827">${esc(panel.title)}</text>`,
  );
  for (const t of ticks(yMin, yMax)) {
    const y = r1(sy(t));
    out.push(`<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e5e7eb"/>`);
    out.push(
      `<text x="${left - 8}" y="${y + 5}" font-size="13" text-anchor="end" fill="#374151">${esc(formatNumber(t))}</text>`,
    );
  }
  for (const t of ticks(xMin, xHi, 8).filter((t) => Number.isInteger(t))) {
    const x = r1(sx(t));
    out.push(`<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 5}" stroke="#374151"/>`);
    out.push(`<text x="${x}" y="${bottom + 22}" font-size="13" text-anchor="middle" fill="#374151">${t}</text>`);
  }
  out.push(
    `<rect x="${left}" y="${top}" width="${r1(right - left)}" height="${r1(bottom - top)}" fill="none" stroke="#374151"/>`,
  );
  out.push(
    `<text x="${r1((left + right) / 2)}" y="${bottom + 42}" font-size="14" text-anchor="middle" fill="#374151">epoch</text>`,
  );
  // The legend in the corner the curves leave free: losses fall to the bottom, scores rise to the top.
  const legendH = panel.series.length * 22 + 8;
  const legendTop = panel.kind === "loss" ? top + 6 : bottom - 6 - legendH;
  const legend = [
    `<rect x="${right - 160}" y="${legendTop}" width="152" height="${legendH}" fill="#ffffff" fill-opacity="0.9" stroke="#e5e7eb"/>`,
  ];
  panel.series.forEach((s, i) => {
    const colour = COLOURS[s.style];
    const pts = s.points.map((p) => `${r1(sx(p.x))},${r1(sy(p.y))}`).join(" ");
    if (s.points.length > 1) {
      out.push(`<polyline points="${pts}" fill="none" stroke="${colour}" stroke-width="2.5" stroke-linejoin="round"/>`);
    }
    for (const p of s.points.length <= 60 ? s.points : []) {
      out.push(`<circle cx="${r1(sx(p.x))}" cy="${r1(sy(p.y))}" r="3" fill="${colour}"/>`);
    }
    const ly = legendTop + 20 + i * 22;
    legend.push(
      `<line x1="${right - 150}" y1="${ly - 5}" x2="${right - 125}" y2="${ly - 5}" stroke="${colour}" stroke-width="3"/>`,
    );
    legend.push(`<text x="${right - 118}" y="${ly}" font-size="14" fill="#111827">${esc(s.name)}</text>`);
  });
  return [...out, ...legend].join("\n"); // the legend over the curves
}

export function curvesSvg(m: CurvesModel, size: { width: number; height: number } = DEFAULT_SIZE): string {
  const { width, height } = size;
  const n = Math.max(1, m.panels.length);
  const panelW = width / n;
  const body = m.panels.map((p, i) => panelSvg(p, i * panelW, 50, panelW, height - 50, xMaxOf(m))).join("\n");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="20" y="32" font-size="20" fill="#111827">${esc(headerLine({ color: false }, m))}</text>`,
    body,
    "</svg>",
  ].join("\n");
}
