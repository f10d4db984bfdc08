// A token bucket for API requests: client-node has none, and an unthrottled controller can flood the API server
// during a relist storm (client-go defaults to 5 QPS, controller-runtime to 20 QPS with a burst of 30).
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
  ) {
    if (!(qps > 0) || !(burst >= 1)) throw new Error(`rate limit needs qps > 0 and burst >= 1, got ${qps}/${burst}`);
    this.tokens = burst;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
    this.last = now;
  }

  /** Resolves when a request may go out; FIFO among waiters. */
  take(): Promise<void> {
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolvePromise) => {
      this.waiters.push(resolvePromise);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, ((1 - this.tokens) / this.qps) * 1000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiters.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiters.shift()?.();
      }
      if (this.waiters.length > 0) this.schedule();
    }, wait);
  }
}
