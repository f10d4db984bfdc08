// A track's figures from its pods' snapshots: counts add up across pods (confusion, requests, errors, latency
// buckets), the p99 is interpolated as Prometheus' histogram_quantile does, and nothing is made up without data.
import { describe, expect, it } from "vitest";
import type { PodSnapshot } from "../monitoring/snapshot.js";
import { quantileMs, trackFigures } from "./figures.js";

const BOUNDS = [1, 2, 5];

const pod = (o: {
  confusion?: number[][];
  serving?: { requests: number; errors: number; counts: number[]; bounds?: number[] };
  psi?: number[];
}): PodSnapshot => ({
  windowSeconds: 300,
  baseline: { configured: true },
  ...(o.confusion
    ? { quality: { task: "classification", classes: ["a", "b"], classification: { confusion: o.confusion } } }
    : {}),
  ...(o.serving
    ? {
        serving: {
          requests: o.serving.requests,
          errors: o.serving.errors,
          latencyMs: { bounds: o.serving.bounds ?? BOUNDS, counts: o.serving.counts },
        },
      }
    : {}),
  ...(o.psi
    ? {
        drift: {
          baselineDigest: "d",
          rows: 10,
          unmatched: [],
          features: [{ name: "x", source: "input", labels: ["0", "1"], expected: [0.5, 0.5], counts: o.psi }],
        },
      }
    : {}),
});

describe("quantileMs", () => {
  it("interpolates within the bucket the rank falls in", () => {
    // rank 99 of 100: the 49th of the 50 in (2, 5] → 2 + 3 · 49/50
    expect(quantileMs({ bounds: BOUNDS, counts: [0, 50, 50, 0] }, 0.99)).toBeCloseTo(4.94, 6);
    // the first bucket starts at 0
    expect(quantileMs({ bounds: BOUNDS, counts: [10, 0, 0, 0] }, 0.5)).toBeCloseTo(0.5, 6);
  });

  it("above the last bound is that bound; no observations, no quantile", () => {
    expect(quantileMs({ bounds: BOUNDS, counts: [0, 0, 1, 99] }, 0.99)).toBe(5);
    expect(quantileMs({ bounds: BOUNDS, counts: [0, 0, 0, 0] }, 0.99)).toBeUndefined();
  });
});

describe("trackFigures", () => {
  it("adds up the pods' feedback, requests, errors and latency", () => {
    const f = trackFigures([
      pod({
        confusion: [
          [8, 2],
          [0, 10],
        ],
        serving: { requests: 100, errors: 1, counts: [90, 10, 0, 0] },
      }),
      pod({
        confusion: [
          [5, 0],
          [5, 10],
        ],
        serving: { requests: 100, errors: 3, counts: [0, 0, 98, 2] },
      }),
    ]);
    expect(f).toMatchObject({ pods: 2, feedback: 40, correct: 33, requests: 200, errors: 4, errorRate: 0.02 });
    expect(f?.accuracy).toBeCloseTo(33 / 40, 9);
    expect(f?.macroF1).toBeGreaterThan(0);
    // rank 198 of 200: the 98th of the 98 in (2, 5] → 5
    expect(f?.p99Ms).toBeCloseTo(5, 6);
  });

  it("a pod whose latency buckets differ adds its requests but not its latency", () => {
    const f = trackFigures([
      pod({ serving: { requests: 10, errors: 0, counts: [10, 0, 0, 0] } }),
      pod({ serving: { requests: 10, errors: 0, counts: [0, 10], bounds: [1000] } }),
    ]);
    expect(f).toMatchObject({ requests: 20, errors: 0, errorRate: 0 });
    expect(f?.p99Ms).toBeLessThanOrEqual(1);
  });

  it("the drift score is the largest PSI; regression gives MAE, RMSE and n", () => {
    expect(trackFigures([pod({ psi: [9, 1] })])?.driftScore).toBeGreaterThan(0.5);
    const r = trackFigures([
      {
        windowSeconds: 60,
        baseline: { configured: false },
        quality: { task: "regression", regression: { n: 4, absoluteErrorSum: 4, squaredErrorSum: 16 } },
      },
    ]);
    expect(r).toMatchObject({ feedback: 4, n: 4, mae: 1, rmse: 2, correct: 0 });
    expect(r?.accuracy).toBeUndefined();
  });

  it("no pods, no figures; pods without a serving section report zero requests and no rate or p99", () => {
    expect(trackFigures([])).toBeUndefined();
    const f = trackFigures([
      pod({
        confusion: [
          [1, 0],
          [0, 1],
        ],
      }),
    ]);
    expect(f).toMatchObject({ requests: 0, errors: 0, feedback: 2, correct: 2 });
    expect(f?.errorRate).toBeUndefined();
    expect(f?.p99Ms).toBeUndefined();
  });
});
