/**
 * Up to how many rows a Dense stack runs in plain JavaScript (dense-kernel.ts)
 * rather than on TF.js: the kernel must equal TF.js's output, and is then timed
 * against it on this machine and backend at load (the crossover).
 */
import { performance } from "node:perf_hooks";
import { type DenseLayer, denseForward } from "./dense-kernel.js";
import { probeInput, withinTolerance } from "./equality-probe.js";
import type { OutputTensor, Tensor } from "./loaded-model.js";

/** Rows that stay with the plain-JS kernel at most (timing beyond this is not worth the load time). */
const PLAIN_JS_MAX_ROWS = 256;
/**
 * Up to how many rows the plain-JS kernel is both equal (≤ 1e-5, on 1 and 7
 * rows) and faster than `viaTf` on this machine and backend; 0 when not.
 */
export function plainJsRows(
  js: DenseLayer[],
  viaTf: (feed: readonly Tensor[]) => OutputTensor[],
  width: number,
  fixed: number | undefined,
): number {
  const tfOut = (rows: number) =>
    (viaTf([{ data: probeInput(rows, width), shape: [rows, width] }])[0]?.data as Float32Array | undefined) ?? [];
  for (const rows of [1, 7]) {
    if (!withinTolerance(denseForward(js, probeInput(rows, width), rows), tfOut(rows), 1e-5)) return 0;
  }
  if (fixed !== undefined) return fixed;
  const inputs = new Map<number, Float32Array>();
  const input = (rows: number) =>
    inputs.get(rows) ?? (inputs.set(rows, probeInput(rows, width)).get(rows) as Float32Array);
  return fasterUpTo(
    (rows) => denseForward(js, input(rows), rows),
    (rows) => viaTf([{ data: input(rows), shape: [rows, width] }]),
    PLAIN_JS_MAX_ROWS,
  );
}

/** Fastest µs of `f` over a few calls (after two unmeasured ones): other tenants only ever add time. */
function bestMicros(f: () => void, calls = 7): number {
  f();
  f();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < calls; i++) {
    const s = performance.now();
    f();
    best = Math.min(best, (performance.now() - s) * 1000);
  }
  return best;
}

/**
 * Calls `f` up to `calls` times or for `ms`, whichever ends first, so that V8
 * has optimised it before it is timed (a big model's long loops are optimised
 * within its first calls; a small one needs many calls, which are quick).
 */
function warm(f: () => void, ms: number, calls: number): void {
  const end = performance.now() + ms;
  for (let i = 0; i < calls && performance.now() < end; i++) f();
}

/**
 * The largest power-of-two row count up to `maxRows` at which `js(rows)` is
 * still faster than `other(rows)`, doubling until it is not; 0 when it never is.
 * Both grow with rows, so the search stops at the first loss. Both are warmed
 * first: an interpreted kernel is many times slower than its optimised code.
 */
function fasterUpTo(js: (rows: number) => void, other: (rows: number) => void, maxRows: number): number {
  warm(() => js(1), 30, 2000);
  warm(() => other(1), 30, 50);
  let best = 0;
  for (let rows = 1; rows <= maxRows; rows *= 2) {
    const t = bestMicros(() => js(rows));
    if (t >= bestMicros(() => other(rows))) break;
    best = rows;
    // Past this a backend's fixed per-call cost (tens to hundreds of µs) hardly
    // matters either way, and timing more rows only costs load time.
    if (t > JS_TIMING_LIMIT_MICROS) break;
  }
  return best;
}

const JS_TIMING_LIMIT_MICROS = 500;
