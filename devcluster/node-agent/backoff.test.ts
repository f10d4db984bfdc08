import { describe, expect, it } from "vitest";
import {
  CONTAINER_PLAN_RETRY,
  crashLoopBackOff,
  INFORMER_RESTART_RETRY,
  NODE_REGISTRATION_RETRY,
  POD_NETWORK_RETRY,
  restartDelayMs,
  retryDelayMs,
  VOLUME_RETRY,
} from "./backoff.js";

describe("restart back-off", () => {
  it("restarts once at once, then waits 10 s doubling to 5 min", () => {
    expect([0, 1, 2, 3, 6, 20].map((n) => restartDelayMs(n, 1000))).toEqual([
      0, 10_000, 20_000, 40_000, 300_000, 300_000,
    ]);
    expect(restartDelayMs(5, 600_000)).toBe(0);
  });

  it("steps through the sequence, and starts it again after a run of 10 minutes", () => {
    let step = 0;
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const next = crashLoopBackOff(step, 1000);
      delays.push(next.delayMs);
      step = next.nextStep;
    }
    expect(delays).toEqual([0, 10_000, 20_000, 40_000]);
    expect(crashLoopBackOff(step, 600_000)).toEqual({ delayMs: 0, nextStep: 1 });
    expect(crashLoopBackOff(1, 599_999)).toEqual({ delayMs: 10_000, nextStep: 2 });
  });
});

describe("retryDelayMs", () => {
  const first = (n: number, schedule: Parameters<typeof retryDelayMs>[1]) =>
    Array.from({ length: n }, (_, attempt) => retryDelayMs(attempt, schedule));

  it.each([
    ["pod network", POD_NETWORK_RETRY, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]],
    ["volumes", VOLUME_RETRY, [1000, 2000, 4000, 8000, 16_000, 16_000, 16_000]],
    ["container plan", CONTAINER_PLAN_RETRY, [2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]],
    ["node registration", NODE_REGISTRATION_RETRY, [500, 1000, 2000, 4000, 5000, 5000, 5000]],
    ["informer restart", INFORMER_RESTART_RETRY, [500, 1000, 2000, 4000, 8000, 10_000, 10_000]],
  ])("doubles the %s retry up to its cap", (_name, schedule, delays) => {
    expect(first(7, schedule)).toEqual(delays);
  });

  it("stays at the cap however many attempts failed", () => {
    expect(retryDelayMs(5000, POD_NETWORK_RETRY)).toBe(30_000);
  });
});
