// The terminal the plugin writes to: colour only on a TTY without NO_COLOR (https://no-color.org) and with a TERM
// that is not "dumb"; width from the TTY (80 otherwise). Commands print through this, never console.log directly,
// so tests can capture output and colour stays one decision.
import { stringify } from "yaml";

export interface Terminal {
  readonly color: boolean;
  readonly isTTY: boolean;
  /** Columns available (80 when not a TTY). */
  readonly columns: number;
  /** Rows available (24 when not a TTY). */
  readonly rows: number;
  write(text: string): void;
  line(text?: string): void;
  /** Warnings and progress notes: stderr, so stdout stays parseable. */
  note(text: string): void;
}

export interface StreamLike {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export function colorWanted(stream: StreamLike, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.TERM === "dumb") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  return stream.isTTY === true;
}

export function terminal(out: StreamLike, err: StreamLike, env: NodeJS.ProcessEnv = process.env): Terminal {
  return {
    color: colorWanted(out, env),
    isTTY: out.isTTY === true,
    columns: out.isTTY && out.columns ? out.columns : 80,
    rows: out.isTTY && out.rows ? out.rows : 24,
    write: (t) => void out.write(t),
    line: (t = "") => void out.write(`${t}\n`),
    note: (t) => void err.write(`${t}\n`),
  };
}

const SGR = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
  gray: [90, 39],
} as const;
export type Style = keyof typeof SGR;

/** Wraps text in one SGR style when colour is on. */
export function paint(term: Pick<Terminal, "color">, style: Style, text: string): string {
  if (!term.color) return text;
  const [on, off] = SGR[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Display width of text without its escape sequences (wide characters count one; the charts use none). */
export function visibleLength(text: string): number {
  return [...text.replace(ANSI, "")].length;
}

/** kubectl's table: upper-case headers, columns three spaces apart, no borders. Cells may carry colour. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - visibleLength(c))))
      .join("   ")
      .trimEnd();
  return [fmt(headers.map((h) => h.toUpperCase())), ...rows.map(fmt)].join("\n");
}

export function toJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0 }).trimEnd();
}

/** kubectl's AGE: 45s, 12m, 3h, 5d (two units below a day for recent objects: 3m20s, 2h5m). */
export function age(from: string | Date | undefined, now: Date = new Date()): string {
  if (!from) return "<unknown>";
  const t = typeof from === "string" ? Date.parse(from) : from.getTime();
  if (!Number.isFinite(t)) return "<unknown>";
  const s = Math.max(0, Math.floor((now.getTime() - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}
