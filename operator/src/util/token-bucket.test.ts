import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TokenBucket } from "./token-bucket.js";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date", "performance"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Starts `n` take()s and records, in order, which have resolved. */
function takeMany(bucket: TokenBucket, n: number): number[] {
  const done: number[] = [];
  for (let i = 0; i < n; i++) void bucket.take().then(() => done.push(i));
  return done;
}

describe("TokenBucket", () => {
  it("lets the burst through at once, then one request per 1/qps seconds, in order", async () => {
    const bucket = new TokenBucket(10, 2);
    const done = takeMany(bucket, 5);
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(99);
    expect(done).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toEqual([0, 1, 2]);
    await vi.advanceTimersByTimeAsync(200);
    expect(done).toEqual([0, 1, 2, 3, 4]);
  });

  it("refills up to the burst while idle, not beyond", async () => {
    const bucket = new TokenBucket(10, 3);
    await Promise.all([bucket.take(), bucket.take(), bucket.take()]);
    await vi.advanceTimersByTimeAsync(60_000);
    const done = takeMany(bucket, 4);
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toEqual([0, 1, 2]);
    await vi.advanceTimersByTimeAsync(100);
    expect(done).toEqual([0, 1, 2, 3]);
  });

  it("keeps FIFO order: a new request waits behind queued ones even when a token is free", async () => {
    const bucket = new TokenBucket(1, 1);
    const order: string[] = [];
    void bucket.take().then(() => order.push("a"));
    void bucket.take().then(() => order.push("b"));
    await vi.advanceTimersByTimeAsync(1000);
    void bucket.take().then(() => order.push("c"));
    await vi.advanceTimersByTimeAsync(0);
    expect(order).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("tells a reservation how long to wait: nothing within the burst, then 1/qps more per token", () => {
    const bucket = new TokenBucket(10, 2);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 100, 200]);
    vi.advanceTimersByTime(1000); // +10 tokens pay back the 2 owed, then the bucket caps at its burst of 2
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 100]);
  });

  it("refuses a rate that cannot work", () => {
    expect(() => new TokenBucket(0, 1)).toThrow("rate limit needs qps > 0 and burst >= 1, got 0/1");
    expect(() => new TokenBucket(5, 0)).toThrow("rate limit needs qps > 0 and burst >= 1, got 5/0");
    expect(() => new TokenBucket(Number.NaN, 1)).toThrow(/qps > 0/);
  });
});
