/**
 * The serving side of a pod's monitoring snapshot: inference requests, server errors and a latency histogram over
 * the same sliding window as the drift and feedback counts, so the operator can compare a canary's error rate and
 * p99 with the stable track's over the same span (operator/src/modeldeployment/loop/judge.ts). 4xx answers are left
 * out: they are the caller's mistakes and tell nothing about the model. Fed by RuntimeMetrics.request, the one place
 * every inference request (HTTP and gRPC) is counted; one rotation and three additions per request.
 */
import { SlidingCounts } from "./window.js";

/**
 * Upper bucket edges in ms: steps of 1.2× from 0.1 ms to about 50 s, three significant digits. Fine enough that a
 * p99 interpolated within its bucket is off by under 20 %, well inside the judge's p99 ratio (1.5).
 */
export const SERVING_LATENCY_BOUNDS_MS: readonly number[] = Array.from({ length: 73 }, (_, i) =>
  Number((0.1 * 1.2 ** i).toPrecision(3)),
);

export interface ServingSnapshot {
  requests: number;
  /** 5xx answers: the model failed (500), the pod was overloaded or not ready (503), a forward failed (502). */
  errors: number;
  /** counts[i]: requests of at most bounds[i] ms (and more than bounds[i − 1]); the last count, above every bound. */
  latencyMs: { bounds: number[]; counts: number[] };
}

const REQUESTS = 0;
const ERRORS = 1;
const LATENCY = 2;

export class ServingWindow {
  private readonly counts: SlidingCounts;
  private readonly bounds: Float64Array;

  constructor(win: { windowSeconds: number; slots: number; now?: () => number }) {
    this.bounds = Float64Array.from(SERVING_LATENCY_BOUNDS_MS);
    this.counts = new SlidingCounts(LATENCY + this.bounds.length + 1, win.windowSeconds, win.slots, win.now);
  }

  /** One answered inference request: its HTTP status (gRPC's mapped to one) and seconds from receipt to reply. */
  record(status: number, seconds: number): void {
    if (status >= 400 && status < 500) return;
    const slot = this.counts.slot();
    slot[REQUESTS] = (slot[REQUESTS] as number) + 1;
    if (status >= 500) slot[ERRORS] = (slot[ERRORS] as number) + 1;
    const i = LATENCY + this.bucket(seconds * 1000);
    slot[i] = (slot[i] as number) + 1;
  }

  /** The first bound >= ms (binary search), or bounds.length for above them all. */
  private bucket(ms: number): number {
    const b = this.bounds;
    let lo = 0;
    let hi = b.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ms > (b[mid] as number)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  snapshot(): ServingSnapshot {
    const sum = this.counts.sum();
    return {
      requests: sum[REQUESTS] as number,
      errors: sum[ERRORS] as number,
      latencyMs: { bounds: [...SERVING_LATENCY_BOUNDS_MS], counts: Array.from(sum.subarray(LATENCY)) },
    };
  }
}
