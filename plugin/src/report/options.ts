// The report command's small decisions (pure): the default file name, --tail, the size it prints.
import { PluginError } from "../cli/errors.js";

const DEFAULT_TAIL = 2000;

/** liftoff-report-<kind>-<name>-<UTC yyyymmddThhmmssZ>.zip */
export function defaultReportName(kind: string, name: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}Z$/, "Z");
  return `liftoff-report-${kind}-${name}-${stamp}.zip`;
}

export function parseTail(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TAIL;
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new PluginError("Usage", `--tail "${text}" is not a positive number of lines`, "write e.g. --tail 500");
  }
  return Number(text);
}

/** 1.2 MiB, 340 KiB, 812 B. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
