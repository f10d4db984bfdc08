// Progress lines for the first-use set-up, as pure functions (the runner decides when to print them).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/** 0.4s, 8s, 1m05s. */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}

export function startLine(name: string, title: string, estimateSeconds: number): string {
  return `setup: ${name}: ${title}; about ${formatDuration(estimateSeconds)} the first time, cached afterwards`;
}

export function heartbeatLine(name: string, elapsedSeconds: number, estimateSeconds: number): string {
  const left = estimateSeconds - elapsedSeconds;
  const tail = left > 0 ? `about ${formatDuration(left)} to go` : `past its usual ${formatDuration(estimateSeconds)}`;
  return `setup: ${name}: ${formatDuration(elapsedSeconds)} elapsed, ${tail}`;
}

export function doneLine(name: string, elapsedSeconds: number): string {
  return `setup: ${name} ready in ${formatDuration(elapsedSeconds)}`;
}

export function failedLine(name: string, elapsedSeconds: number, exit: string): string {
  return `setup: ${name} failed after ${formatDuration(elapsedSeconds)} (${exit}); the lines above say why`;
}

export function summaryLine(elapsedSeconds: number, cached: string[], done: string[]): string {
  const parts: string[] = [];
  if (done.length > 0) parts.push(`fetched or built ${done.join(", ")}`);
  if (cached.length > 0) parts.push(`cached: ${cached.join(", ")}`);
  return `setup: ready in ${formatDuration(elapsedSeconds)} (${parts.join("; ")})`;
}

/** Last measured cold-run seconds per component, kept beside the caches so estimates follow the machine. */
export function timingsFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.LIFTOFF_CACHE || join(homedir(), ".cache", "liftoff"), "setup-timings.json");
}

export function readTimings(file: string): Record<string, number> {
  if (!existsSync(file)) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return {};
    return Object.fromEntries(
      Object.entries(parsed).filter((e): e is [string, number] => typeof e[1] === "number" && e[1] > 0),
    );
  } catch {
    return {};
  }
}

export function writeTimings(file: string, timings: Record<string, number>): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(timings, null, 2)}\n`);
}
