// A de-duplicating work queue with client-go's semantics, written here because no maintained npm package offers
// them together: a key is queued at most once; a key being processed is re-queued once (not twice) when it changes;
// failures back off per key (exponential) and overall (token bucket); requeue-after delays; bounded consumers.
import { TokenBucket } from "../util/token-bucket.js";

export interface QueueObserver {
  depth?(n: number): void;
  added?(): void;
  /** Seconds a key waited between being queued and being handed to a worker. */
  latency?(seconds: number): void;
}

export interface RateLimitOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Overall retries per second, so a storm of failures cannot hammer the API server. */
  qps: number;
  burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { baseDelayMs: 5, maxDelayMs: 300_000, qps: 10, burst: 100 };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly queuedAt = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly getters: Array<(key: string | undefined) => void> = [];
  private readonly bucket: TokenBucket;
  private shuttingDown = false;

  constructor(
    private readonly limits: RateLimitOptions = DEFAULT_RATE_LIMIT,
    private readonly observer: QueueObserver = {},
  ) {
    this.bucket = new TokenBucket(limits.qps, limits.burst);
  }

  get length(): number {
    return this.queue.length;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.observer.added?.();
    if (this.processing.has(key)) return; // re-queued by done()
    this.push(key);
  }

  private push(key: string): void {
    this.queuedAt.set(key, performance.now());
    const getter = this.getters.shift();
    if (getter) {
      this.handOut(key, getter);
      return;
    }
    this.queue.push(key);
    this.observer.depth?.(this.queue.length);
  }

  private handOut(key: string, to: (key: string) => void): void {
    this.dirty.delete(key);
    this.processing.add(key);
    const at = this.queuedAt.get(key);
    this.queuedAt.delete(key);
    if (at !== undefined) this.observer.latency?.((performance.now() - at) / 1000);
    to(key);
  }

  /** The next key to process, or undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.observer.depth?.(this.queue.length);
      return new Promise((resolvePromise) => this.handOut(key, resolvePromise));
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolvePromise) => this.getters.push(resolvePromise));
  }

  /** Marks a key finished; if it changed while being processed, it goes back in the queue once. */
  done(key: string): void {
    this.processing.delete(key);
    // Still dirty (so a further add stays de-duplicated); counted as an add already when add() marked it.
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
  }

  /** Adds after `ms`; an earlier pending add for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = performance.now() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.timers.set(key, { at, timer });
  }

  /** Requeues a failed key after max(per-key exponential back-off, overall token-bucket delay). */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const perKey = Math.min(this.limits.maxDelayMs, this.limits.baseDelayMs * 2 ** n);
    const delay = Math.max(perKey, this.bucket.reserve());
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears a key's failure history after a success. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Failures of a key since its last success (client-go's NumRequeues). */
  failureCount(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  shutdown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const g of this.getters.splice(0)) g(undefined);
  }
}
