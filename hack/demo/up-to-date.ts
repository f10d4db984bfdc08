// Whether a build output is newer than every one of its inputs, make-style, so a warm `npm start` skips the
// runtime's `tsc` run (10 s and more even when incremental finds nothing to do). Folders count by their own mtime
// too, so a deleted or renamed source file makes the output stale.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** The newest mtime (ms) among the paths and everything under them; missing paths are skipped. */
export function newestMtimeMs(paths: string[]): number {
  let newest = 0;
  const visit = (path: string) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch {
      return;
    }
    newest = Math.max(newest, st.mtimeMs);
    if (st.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  for (const p of paths) visit(p);
  return newest;
}

/** True when `stamp` exists and no input changed after it was written. */
export function upToDate(stamp: string, inputs: string[]): boolean {
  let stampMs: number;
  try {
    stampMs = statSync(stamp).mtimeMs;
  } catch {
    return false;
  }
  return newestMtimeMs(inputs) <= stampMs;
}
