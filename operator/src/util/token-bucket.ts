// The one token bucket: the API client's request rate limit (client-node has none, and an unthrottled controller
// can flood the API server during a relist storm; client-go defaults to 5 QPS, controller-runtime to 20 with a
// burst of 30) and the work queue's overall retry limit both use it. Like golang.org/x/time/rate, a caller reserves
// a token and is told how long to wait for it; tokens may go negative, so waits queue up in reservation order.
export class TokenBucket {
  private tokens: number;
  private last = performance.now();

  constructor(
    private readonly qps: number,
    private readonly burst: number,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`rate limit needs qps > 0 and burst >= 1, got ${qps}/${burst}`);
    this.tokens = burst;
  }

  /** Takes a token now and returns the milliseconds until it is due (0 while the burst lasts). */
  reserve(): number {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /** Resolves when a request may go out; callers are served in the order they asked. */
  take(): Promise<void> {
    const wait = this.reserve();
    return wait === 0 ? Promise.resolve() : new Promise((resolvePromise) => setTimeout(resolvePromise, wait));
  }
}
