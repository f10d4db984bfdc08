// Shared by the runtime (builds it), the operator (checks it, writes status.history) and the plugin (draws it).
// The per-epoch history a run reports: a bounded copy of the loop's history (loss and val_* metrics per epoch), so
// status can carry the whole curve without growing with the epochs. At most MAX_HISTORY points: once the epochs
// outgrow it the stride doubles (every second point is dropped), keeping the first epoch and always the last one.
// It is derived from the full history on each report, so reports that the operator coalesces lose nothing.

export const MAX_HISTORY = 200;

/** One epoch's numbers: the training loss and the other metrics (val_loss, val_accuracy, …). */
export interface EpochPoint {
  /** 1-based epoch number. */
  epoch: number;
  loss?: number;
  metrics: Record<string, number>;
}

/** What status.history holds. */
export interface EpochHistory {
  /** Every stride-th epoch is kept (1, 1+stride, 1+2·stride, …) plus the last one. */
  stride: number;
  epochs: EpochPoint[];
}

/** The smallest power-of-two stride that keeps at most `max` of `n` epochs (the first, every stride-th, the last). */
export function strideFor(n: number, max: number = MAX_HISTORY): number {
  let stride = 1;
  while (n > 0 && Math.ceil((n - 1) / stride) + 1 > max) stride *= 2;
  return stride;
}

/** One epoch of the loop's history as a point; non-finite numbers dropped (JSON cannot carry them). */
export function pointOf(epoch: number, log: Readonly<Record<string, number>>): EpochPoint {
  const metrics: Record<string, number> = {};
  let loss: number | undefined;
  for (const [k, v] of Object.entries(log)) {
    if (!Number.isFinite(v)) continue;
    if (k === "loss") loss = v;
    else metrics[k] = v;
  }
  return { epoch, ...(loss !== undefined ? { loss } : {}), metrics };
}

/** The bounded history of a run whose i-th entry is epoch i+1. */
export function boundHistory(
  history: readonly Readonly<Record<string, number>>[],
  max: number = MAX_HISTORY,
): EpochHistory {
  const n = history.length;
  const stride = strideFor(n, max);
  const epochs: EpochPoint[] = [];
  history.forEach((log, i) => {
    if (i % stride === 0 || i === n - 1) epochs.push(pointOf(i + 1, log));
  });
  return { stride, epochs };
}
