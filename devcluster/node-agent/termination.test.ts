import type { V1Pod } from "@kubernetes/client-node";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Exit, type RunningProcess, stopInSteps } from "./process.js";
import { deletionGraceSeconds, probeKillGraceSeconds, stopSteps } from "./termination.js";

const pod = (grace?: number, deletionGrace?: number): V1Pod => ({
  metadata: { name: "p", ...(deletionGrace !== undefined ? { deletionGracePeriodSeconds: deletionGrace } : {}) },
  spec: { containers: [], ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}) },
});

describe("grace periods", () => {
  it.each([
    [pod(), 30],
    [pod(10), 10],
    [pod(10, 2), 2],
    [pod(undefined, 0), 0],
  ])("a deleted pod gets the deletion's grace, else the pod's, else 30 s (%#)", (p, seconds) => {
    expect(deletionGraceSeconds(p)).toBe(seconds);
  });

  it.each([
    [pod(), undefined, 30],
    [pod(10), undefined, 10],
    [pod(10), 1, 1],
    [pod(10), 0, 0],
  ])("a probe kill gets the probe's grace, else the pod's, else 30 s (%#)", (p, probeGrace, seconds) => {
    expect(probeKillGraceSeconds(p, probeGrace)).toBe(seconds);
  });
});

describe("stopSteps", () => {
  it("sends SIGTERM, waits the grace period, then SIGKILL", () => {
    expect(stopSteps(3000)).toEqual([{ signal: "SIGTERM", waitMs: 3000 }, { signal: "SIGKILL" }]);
  });

  it("waits a while after SIGKILL when asked (deletion, before the final status)", () => {
    expect(stopSteps(0, 5000)).toEqual([
      { signal: "SIGTERM", waitMs: 0 },
      { signal: "SIGKILL", waitMs: 5000 },
    ]);
  });
});

/** A process that records its signals and exits on the ones it does not ignore. */
function fakeProcess(ignores: NodeJS.Signals[]): RunningProcess & { signals: NodeJS.Signals[] } {
  let exit: (e: Exit) => void = () => {};
  let done = false;
  const exited = new Promise<Exit>((resolve) => {
    exit = resolve;
  });
  const signals: NodeJS.Signals[] = [];
  return {
    pid: 1,
    exited,
    signals,
    alive: () => !done,
    kill(signal) {
      if (done) return;
      signals.push(signal);
      if (ignores.includes(signal)) return;
      done = true;
      exit({ exitCode: 143 });
    },
  };
}

describe("stopInSteps", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("stops at SIGTERM when every process exits in time", async () => {
    vi.useFakeTimers();
    const a = fakeProcess([]);
    const b = fakeProcess([]);
    const stopped = stopInSteps([a, b], stopSteps(30_000));
    await stopped;
    expect(a.signals).toEqual(["SIGTERM"]);
    expect(b.signals).toEqual(["SIGTERM"]);
  });

  it("sends SIGKILL once the grace period has passed", async () => {
    vi.useFakeTimers();
    const stubborn = fakeProcess(["SIGTERM"]);
    let done = false;
    const stopped = stopInSteps([stubborn], stopSteps(2000)).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1999);
    expect(stubborn.signals).toEqual(["SIGTERM"]);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopped;
    expect(stubborn.signals).toEqual(["SIGTERM", "SIGKILL"]);
  });

  it("waits after SIGKILL only as long as asked", async () => {
    vi.useFakeTimers();
    const unkillable = fakeProcess(["SIGTERM", "SIGKILL"]);
    let done = false;
    const stopped = stopInSteps([unkillable], stopSteps(1000, 5000)).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(1000);
    expect(unkillable.signals).toEqual(["SIGTERM", "SIGKILL"]);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(5000);
    await stopped;
    expect(done).toBe(true);
  });
});
