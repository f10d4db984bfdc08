// A signal bound to a piece of work: it aborts when a parent does (the controller stopping, the caller's own
// signal) or when the work's time is up, and `dispose` lets go of the parents and the timer once the work is done.
// AbortSignal.any would keep every dependant on a long-lived parent until that parent aborts (nodejs/node#55351).

export interface BoundSignal {
  signal: AbortSignal;
  /** Detaches from the parents and stops the timer; call it when the work is done, however it ended. */
  dispose(): void;
}

export function boundSignal(parents: readonly (AbortSignal | undefined)[], timeoutMs: number): BoundSignal {
  const controller = new AbortController();
  const detach: Array<() => void> = [];
  for (const parent of parents) {
    if (!parent) continue;
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = () => controller.abort(parent.reason);
    parent.addEventListener("abort", onAbort, { once: true });
    detach.push(() => parent.removeEventListener("abort", onAbort));
  }
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  );
  timer.unref();
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      for (const d of detach) d();
    },
  };
}
