import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type RateLimitOptions, WorkQueue } from "./queue.js";

// A bucket so large that only the per-key back-off matters.
const NO_BUCKET: RateLimitOptions = { baseDelayMs: 5, maxDelayMs: 300_000, qps: 1e6, burst: 1e6 };

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("WorkQueue de-duplication", () => {
  it("hands out a key added twice only once", async () => {
    const q = new WorkQueue(NO_BUCKET);
    q.add("ns/a");
    q.add("ns/a");
    q.add("ns/b");
    expect(q.length).toBe(2);
    expect(await q.get()).toBe("ns/a");
    expect(await q.get()).toBe("ns/b");
    expect(q.length).toBe(0);
  });

  it("re-queues a key added while it is processed exactly once, after done", async () => {
    const q = new WorkQueue(NO_BUCKET);
    q.add("k");
    expect(await q.get()).toBe("k");
    q.add("k");
    q.add("k");
    expect(q.length).toBe(0); // not handed to a second worker while the first holds it
    q.done("k");
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("k");
    q.done("k");
    expect(q.length).toBe(0);
  });

  it("does not re-queue a key that did not change while processed", async () => {
    const q = new WorkQueue(NO_BUCKET);
    q.add("k");
    await q.get();
    q.done("k");
    expect(q.length).toBe(0);
  });

  it("hands a key straight to a waiting get()", async () => {
    const q = new WorkQueue(NO_BUCKET);
    const waiting = q.get();
    q.add("k");
    expect(await waiting).toBe("k");
    expect(q.length).toBe(0);
  });
});

describe("WorkQueue rate limiting", () => {
  it("backs off per key exponentially from baseDelay, capped at maxDelay, and forget resets it", () => {
    const q = new WorkQueue({ ...NO_BUCKET, maxDelayMs: 40 });
    expect([1, 2, 3, 4, 5].map(() => q.addRateLimited("k"))).toEqual([5, 10, 20, 40, 40]);
    expect(q.failureCount("k")).toBe(5);
    expect(q.addRateLimited("other")).toBe(5); // back-off is per key
    q.forget("k");
    expect(q.failureCount("k")).toBe(0);
    expect(q.addRateLimited("k")).toBe(5);
  });

  it("requeues a rate-limited key only once its back-off has passed", async () => {
    const q = new WorkQueue(NO_BUCKET);
    q.add("k");
    await q.get();
    q.done("k");
    expect(q.addRateLimited("k")).toBe(5);
    vi.advanceTimersByTime(4);
    expect(q.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.length).toBe(1);
  });

  it("delays by the overall token bucket once its burst is spent, and refills at qps", () => {
    const q = new WorkQueue({ baseDelayMs: 1, maxDelayMs: 1000, qps: 10, burst: 2 });
    expect(q.addRateLimited("a")).toBe(1);
    expect(q.addRateLimited("b")).toBe(1);
    expect(q.addRateLimited("c")).toBe(100); // one token short at 10/s
    expect(q.addRateLimited("d")).toBe(200);
    vi.advanceTimersByTime(1000); // +10 tokens, capped at the burst of 2
    expect(q.addRateLimited("e")).toBe(1);
    expect(q.addRateLimited("f")).toBe(1);
    expect(q.addRateLimited("g")).toBe(100);
  });
});

describe("WorkQueue.addAfter", () => {
  it("keeps the earliest pending time when a later one is asked for", () => {
    const q = new WorkQueue(NO_BUCKET);
    q.addAfter("k", 50);
    q.addAfter("k", 100);
    vi.advanceTimersByTime(49);
    expect(q.length).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.length).toBe(1);
  });

  it("replaces a later pending time with an earlier one, and fires once", async () => {
    const q = new WorkQueue(NO_BUCKET);
    q.addAfter("k", 100);
    q.addAfter("k", 30);
    vi.advanceTimersByTime(30);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe("k");
    q.done("k");
    vi.advanceTimersByTime(200); // the replaced 100 ms timer must not fire
    expect(q.length).toBe(0);
  });

  it("adds at once for a delay of zero or less", () => {
    const q = new WorkQueue(NO_BUCKET);
    q.addAfter("k", 0);
    q.addAfter("j", -5);
    expect(q.length).toBe(2);
  });
});

describe("WorkQueue.shutdown", () => {
  it("releases every waiting get() with undefined and ignores later adds", async () => {
    const q = new WorkQueue(NO_BUCKET);
    const first = q.get();
    const second = q.get();
    q.shutdown();
    expect(await first).toBeUndefined();
    expect(await second).toBeUndefined();
    q.add("k");
    q.addAfter("j", 10);
    expect(q.length).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it("cancels pending delayed adds", () => {
    const q = new WorkQueue(NO_BUCKET);
    q.addAfter("k", 10);
    q.shutdown();
    vi.advanceTimersByTime(100);
    expect(q.length).toBe(0);
  });
});

describe("WorkQueue observer", () => {
  it("reports depth, adds and the time a key waited", async () => {
    const depth: number[] = [];
    const latency: number[] = [];
    let added = 0;
    const q = new WorkQueue(NO_BUCKET, {
      depth: (n) => depth.push(n),
      added: () => {
        added += 1;
      },
      latency: (s) => latency.push(s),
    });
    q.add("a");
    q.add("a"); // duplicate: not an add
    q.add("b");
    expect(added).toBe(2);
    expect(depth).toEqual([1, 2]);
    vi.advanceTimersByTime(250);
    expect(await q.get()).toBe("a");
    expect(depth).toEqual([1, 2, 1]);
    expect(latency).toEqual([0.25]);
  });

  it("counts a key changed during processing as one add, not two", async () => {
    let added = 0;
    const q = new WorkQueue(NO_BUCKET, {
      added: () => {
        added += 1;
      },
    });
    q.add("k");
    await q.get();
    q.add("k");
    q.done("k");
    expect(q.length).toBe(1);
    expect(added).toBe(2);
  });
});
