import { describe, expect, it } from "vitest";
import {
  dueCount,
  formatPhases,
  type Outcome,
  percentile,
  runLoad,
  type Sample,
  summarize,
  windowP99,
} from "../support/load.js";

describe("load: open-loop phases", () => {
  it("percentile is the nearest rank, NaN when empty", () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 99)).toBe(5);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(99);
    expect(percentile([], 50)).toBeNaN();
  });

  it("dueCount follows the rate and stops at the phase's total", () => {
    const p = { name: "x", rps: 100, seconds: 2 };
    expect(dueCount(p, 0)).toBe(1);
    expect(dueCount(p, 9.9)).toBe(1);
    expect(dueCount(p, 10)).toBe(2);
    expect(dueCount(p, 1000)).toBe(101);
    expect(dueCount(p, 60_000)).toBe(200);
  });

  it("summarize counts ok, failed by reason, and the spread over pods and nodes of one phase", () => {
    const s = (phase: string, o: Partial<Sample>): Sample => ({ phase, t: 0, latencyMs: 1, ok: true, ...o });
    const samples = [
      s("a", { pod: "p1", node: "n1", latencyMs: 10 }),
      s("a", { pod: "p2", node: "n2", latencyMs: 20 }),
      s("a", { pod: "p1", node: "n1", latencyMs: 30 }),
      s("a", { ok: false, reason: "503", pod: "p2" }),
      s("a", { ok: false, reason: "ECONNRESET" }),
      s("a", { ok: false, reason: "503" }),
      s("b", { pod: "p3", node: "n2" }),
    ];
    const sum = summarize({ name: "a", rps: 1, seconds: 6 }, samples);
    expect(sum).toMatchObject({ sent: 6, ok: 3, failed: 3, p50Ms: 20, p99Ms: 30 });
    expect(sum.reasons).toEqual({ "503": 2, ECONNRESET: 1 });
    expect(sum.byPod).toEqual({ p1: 2, p2: 1 });
    expect(sum.byNode).toEqual({ n1: 2, n2: 1 });
    expect(sum.failedByPod).toEqual({ p2: 1, "(none)": 2 });
    expect(formatPhases([sum])).toMatch(
      /^a 1\/s×6s: 3\/6 ok \(503×2 ECONNRESET×1 p2:1 \(none\):2\), p50 20\.0 ms p99 30\.0 ms, 2 pods/,
    );
  });

  it("windowP99 takes the ok requests due inside the window", () => {
    const samples: Sample[] = [
      { phase: "a", t: 0, latencyMs: 100, ok: true },
      { phase: "a", t: 500, latencyMs: 7, ok: true },
      { phase: "a", t: 600, latencyMs: 900, ok: false, reason: "timeout" },
      { phase: "a", t: 1000, latencyMs: 50, ok: true },
    ];
    expect(windowP99(samples, 100, 1000)).toBe(7);
  });

  it("runLoad sends every phase's requests and records each outcome", async () => {
    let i = 0;
    const send = async (): Promise<Outcome> => {
      i++;
      return i % 4 === 0 ? { ok: false, reason: "503" } : { ok: true, pod: `p${i % 2}`, node: "n" };
    };
    const r = await runLoad(
      [
        { name: "low", rps: 200, seconds: 0.1 },
        { name: "high", rps: 400, seconds: 0.1 },
      ],
      send,
    );
    expect(r.phases.map((p) => [p.name, p.sent])).toEqual([
      ["low", 20],
      ["high", 40],
    ]);
    expect(r.phases.reduce((n, p) => n + p.failed, 0)).toBe(15);
    expect(r.samples.every((s, k) => k === 0 || s.t >= (r.samples[k - 1] as Sample).t)).toBe(true);
  });

  it("runLoad counts a request over maxInFlight as failed instead of sending it", async () => {
    const held: (() => void)[] = [];
    const send = () => new Promise<Outcome>((resolve) => held.push(() => resolve({ ok: true })));
    const r = await runLoad(
      [
        { name: "burst", rps: 200, seconds: 0.05 },
        { name: "release", rps: 1, seconds: 0 },
      ],
      send,
      {
        maxInFlight: 3,
        onPhase: (p) => {
          if (p.name === "release") for (const h of held) h();
        },
      },
    );
    expect(r.phases[0]).toMatchObject({ sent: 10, ok: 3, failed: 7, reasons: { "client: 3 in flight": 7 } });
  });
});
