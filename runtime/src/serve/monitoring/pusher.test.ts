// The monitoring pusher's schedule with fake timers: one push per period, doubling retries on 503 until the next
// period, no retry of a refused push, and nothing after stop() (a push in flight is aborted).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReportError } from "../../report/reporter.js";
import { MonitoringPusher, type PushSnapshot } from "./pusher.js";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A push that answers from `answers` in turn (then 204), recording when each came and its body. */
function scriptedPush(answers: (number | "hang")[]) {
  const calls: { at: number; body: string; signal: AbortSignal }[] = [];
  const push: PushSnapshot = (body, signal) => {
    calls.push({ at: Date.now(), body, signal });
    const a = answers.shift() ?? 204;
    if (a === "hang")
      return new Promise((_, reject) =>
        signal.addEventListener("abort", () => reject(new ReportError("aborted", 0)), { once: true }),
      );
    return a < 300 ? Promise.resolve() : Promise.reject(new ReportError(`operator answered ${a}`, a));
  };
  return { push, calls };
}

function pusher(push: PushSnapshot, snapshot: () => unknown = () => ({ windowSeconds: 60 })) {
  const log = { info: vi.fn(), warn: vi.fn() };
  const start = Date.now();
  const p = new MonitoringPusher({ snapshot, push, periodMs: 10_000, backoffMs: 100, log, now: () => Date.now() });
  p.start();
  return { p, log, start };
}

describe("MonitoringPusher", () => {
  it("pushes the current snapshot once per period", async () => {
    let n = 0;
    const { push, calls } = scriptedPush([]);
    const { p, start } = pusher(push, () => ({ windowSeconds: 60, n: ++n }));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(20_001);
    expect(calls.map((c) => [c.at - start, JSON.parse(c.body).n])).toEqual([
      [10_000, 1],
      [20_000, 2],
      [30_000, 3],
    ]);
    await p.stop();
  });

  it("retries a 503 (an operator replica that is not the leader) with doubling back-off, then goes on", async () => {
    const { push, calls } = scriptedPush([503, 503, 503]);
    const { p, log, start } = pusher(push);
    await vi.advanceTimersByTimeAsync(10_000 + 100 + 200 + 400);
    expect(calls.map((c) => c.at - start)).toEqual([10_000, 10_100, 10_300, 10_700]);
    expect(log.warn).not.toHaveBeenCalled(); // the fourth try went through
    await p.stop();
  });

  it("gives a failing snapshot up when the next period comes, and logs a lasting failure once", async () => {
    const { push, calls } = scriptedPush(Array(200).fill(503));
    const { p, log, start } = pusher(push);
    await vi.advanceTimersByTimeAsync(30_000);
    // Back-off 100, 200, 400 … capped at 5 s: the tries of one period never run into the next.
    const first = calls.filter((c) => c.at - start < 20_000).map((c) => c.at - start);
    expect(first).toEqual([10_000, 10_100, 10_300, 10_700, 11_500, 13_100, 16_300]);
    expect(calls.some((c) => c.at - start === 20_000)).toBe(true);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]?.[0]).toContain("operator answered 503");
    await p.stop();
  });

  it("does not retry a refused push (4xx) within the period", async () => {
    const { push, calls } = scriptedPush([403]);
    const { p, log, start } = pusher(push);
    await vi.advanceTimersByTimeAsync(19_999);
    expect(calls.map((c) => c.at - start)).toEqual([10_000]);
    expect(log.warn).toHaveBeenCalledWith(expect.stringContaining("403"));
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2); // the next period tries again (and says it recovered)
    expect(log.info).toHaveBeenCalledTimes(1);
    await p.stop();
  });

  it("pushes nothing while there is no snapshot (the model is loading)", async () => {
    const { push, calls } = scriptedPush([]);
    const { p } = pusher(push, () => undefined);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls).toHaveLength(0);
    await p.stop();
  });

  it("stops on shutdown: a push in flight is aborted and nothing is pushed afterwards", async () => {
    const { push, calls } = scriptedPush(["hang"]);
    const { p, log } = pusher(push);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(1);
    await p.stop(); // returns although the push never answered
    expect(calls[0]?.signal.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it("stops on shutdown while waiting for a retry", async () => {
    const { push, calls } = scriptedPush([503]);
    const { p } = pusher(push);
    await vi.advanceTimersByTimeAsync(10_000);
    await p.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(1);
  });
});
