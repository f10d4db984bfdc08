// A line chart drawn with braille characters (U+2800–U+28FF): each character cell is a 2×4 grid of dots, so a
// terminal of C columns × R rows plots 2C × 4R points — the resolution termui/asciichart-style charts get from
// braille. Pure: the caller passes the series and the size, gets lines back (colour through `paint`).
import { paint, type Style, type Terminal } from "../cli/terminal.js";
import { formatNumber } from "./numbers.js";

interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  style: Style;
  points: readonly Point[];
  /** Drawn with gaps (3 dots on, 3 off), so it reads as secondary without colour too. */
  dashed?: boolean;
}

export interface ChartOptions {
  /** Total width in columns, y labels included. */
  width: number;
  /** Plot height in rows (the x axis and its labels come below). */
  height: number;
  /** The x range; default: the points' range. */
  xMin?: number;
  xMax?: number;
  /** The legend's entries instead of one per series (a chart of many series names groups of them). */
  legend?: readonly { name: string; style: Style; dashed?: boolean }[];
}

/** Bit of the dot at (column dx 0–1, row dy 0–3) inside a braille cell (Unicode's dot numbering). */
const DOT = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80],
] as const;
const BRAILLE_BLANK = 0x2800;

/** A grid of braille cells that remembers, per cell, which series drew there last (its colour). */
export class BrailleCanvas {
  private readonly dots: Uint8Array;
  private readonly owner: Int16Array;

  constructor(
    readonly cols: number,
    readonly rows: number,
  ) {
    this.dots = new Uint8Array(cols * rows);
    this.owner = new Int16Array(cols * rows).fill(-1);
  }

  get width(): number {
    return this.cols * 2;
  }

  get height(): number {
    return this.rows * 4;
  }

  /** Sets the dot at pixel (px, py), py = 0 at the top; outside the canvas it is ignored. */
  set(px: number, py: number, series: number): void {
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    const cell = Math.floor(py / 4) * this.cols + Math.floor(px / 2);
    this.dots[cell] = (this.dots[cell] as number) | DOT[(px % 2) as 0 | 1][(py % 4) as 0 | 1 | 2 | 3];
    this.owner[cell] = series;
  }

  /**
   * A straight line of dots between two pixels (Bresenham). With `dash` (the dash pattern's position where the line
   * starts) it is dashed, 3 dots on and 3 off; the position where it ends is returned, so a polyline's dashes run on
   * across its segments.
   */
  line(x0: number, y0: number, x1: number, y1: number, series: number, dash?: number): number {
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1;
    const sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    for (let x = x0, y = y0, step = dash ?? 0; ; step++) {
      if (dash === undefined || step % 6 < 3) this.set(x, y, series);
      if (x === x1 && y === y1) return step;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /** One row of characters, and for each the series that owns it (-1: blank). */
  row(r: number): { chars: string[]; owners: number[] } {
    const chars: string[] = [];
    const owners: number[] = [];
    for (let c = 0; c < this.cols; c++) {
      const i = r * this.cols + c;
      // An empty cell is a space rather than U+2800: the same look, and clean when copied.
      chars.push(this.dots[i] ? String.fromCodePoint(BRAILLE_BLANK + (this.dots[i] as number)) : " ");
      owners.push(this.dots[i] ? (this.owner[i] as number) : -1);
    }
    return { chars, owners };
  }
}

/** The [min, max] of the y values, widened when flat so a constant series still sits mid-chart. */
export function yRange(series: readonly Series[]): [number, number] {
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  if (ys.length === 0) return [0, 1];
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  if (hi > lo) return [lo, hi];
  const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 0.5;
  return [lo - pad, hi + pad];
}

/**
 * The chart's lines: rows of `label ┤ braille`, the x axis, the epoch labels under it, then the legend. Y labels:
 * max on the top row, the middle value on the middle row, min on the bottom row.
 */
export function brailleChart(term: Pick<Terminal, "color">, series: readonly Series[], opts: ChartOptions): string[] {
  const [yMin, yMax] = yRange(series);
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const xMin = opts.xMin ?? (xs.length ? Math.min(...xs) : 0);
  const xMax = Math.max(opts.xMax ?? (xs.length ? Math.max(...xs) : 1), xMin + 1);
  const rows = Math.max(2, opts.height);
  const labels = new Map<number, string>([
    [0, formatNumber(yMax)],
    [Math.floor((rows - 1) / 2), formatNumber((yMin + yMax) / 2)],
    [rows - 1, formatNumber(yMin)],
  ]);
  const labelWidth = Math.max(...[...labels.values()].map((l) => l.length));
  const cols = Math.max(4, opts.width - labelWidth - 2);
  const canvas = new BrailleCanvas(cols, rows);
  const px = (x: number) => Math.round(((x - xMin) / (xMax - xMin)) * (canvas.width - 1));
  const py = (y: number) => Math.round(((yMax - y) / (yMax - yMin)) * (canvas.height - 1));
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.y));
    let dash: number | undefined = s.dashed ? 0 : undefined;
    pts.forEach((p, k) => {
      const prev = pts[k - 1];
      if (!prev) canvas.set(px(p.x), py(p.y), i);
      else {
        const end = canvas.line(px(prev.x), py(prev.y), px(p.x), py(p.y), i, dash);
        if (dash !== undefined) dash = end;
      }
    });
  });
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    const { chars, owners } = canvas.row(r);
    let text = "";
    // Runs of one owner share one escape sequence.
    for (let c = 0; c < chars.length; ) {
      let end = c;
      while (end < chars.length && owners[end] === owners[c]) end++;
      const run = chars.slice(c, end).join("");
      const style = series[owners[c] as number]?.style;
      text += style ? paint(term, style, run) : run;
      c = end;
    }
    out.push(`${(labels.get(r) ?? "").padStart(labelWidth)} ┤${text}`.trimEnd());
  }
  out.push(`${" ".repeat(labelWidth)} └${"─".repeat(cols)}`);
  const left = String(Math.round(xMin));
  const right = String(Math.round(xMax));
  const gap = Math.max(1, cols - left.length - right.length);
  out.push(`${" ".repeat(labelWidth + 2)}${left}${" ".repeat(gap)}${right}`);
  const legend = opts.legend ?? series;
  out.push(
    `${" ".repeat(labelWidth + 2)}${legend.map((s) => `${paint(term, s.style, s.dashed ? "┄┄" : "━━")} ${s.name}`).join("   ")}`,
  );
  return out;
}
