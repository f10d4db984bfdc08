// Files a container run leaves behind that the agent reads: its termination message and its log.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import type { V1Container } from "@kubernetes/client-node";

const MAX_TERMINATION_MESSAGE = 4096;

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function readText(path: string, max: number, position = 0): string {
  const fd = openSync(path, "r");
  try {
    const buf = Buffer.alloc(Math.max(0, max));
    const n = readSync(fd, buf, 0, buf.length, position);
    return buf.subarray(0, n).toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/**
 * The message the kubelet reports for a terminated container: the termination-message file, or with
 * FallbackToLogsOnError and a failure, the end of this run's log (from `logStart`).
 */
export function terminationMessage(c: V1Container, termFile: string, log: string, logStart: number, code: number) {
  let text = "";
  try {
    text = readText(termFile, MAX_TERMINATION_MESSAGE);
  } catch {
    // no message written
  }
  if (!text && code !== 0 && c.terminationMessagePolicy === "FallbackToLogsOnError") {
    const size = fileSize(log);
    const from = Math.max(logStart, size - 2048);
    text = readText(log, size - from, from)
      .split("\n")
      .slice(-80)
      .join("\n");
  }
  return text;
}
