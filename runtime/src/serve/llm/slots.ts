/**
 * Admission for a generative model: at most `parallel` requests hold a sequence at once, at most `maxQueued` wait
 * for one (one more is refused at once: 503 with Retry-After), and a waiter whose client goes away leaves the queue.
 * Pure bookkeeping (no llama.cpp), so it is tested on its own (slots.test.ts).
 */
import { errors } from "../../errors.js";

interface Waiter {
  resolve(release: () => void): void;
  reject(err: unknown): void;
}

export class Slots {
  private inUse = 0;
  private readonly waiters: Waiter[] = [];

  constructor(
    readonly parallel: number,
    /** Most requests waiting for a slot; with `parallel` running, the pending bound (--max-pending-requests). */
    readonly maxQueued: number,
    private readonly pendingLimit: number,
  ) {}

  get running(): number {
    return this.inUse;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves with the slot's release function (call it exactly once); rejects when the queue is full or on abort. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.inUse < this.parallel) {
      this.inUse++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiters.length >= this.maxQueued) return Promise.reject(errors.overloaded(this.pendingLimit));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
        reject,
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      // The slot passes straight to the next waiter: inUse stays the same.
      if (next) next.resolve(this.releaser());
      else this.inUse--;
    };
  }
}
