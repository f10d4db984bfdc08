import { describe, expect, it } from "vitest";
import { EPSILON, jensenShannon, mergeSnapshots, psi, qualityFigures } from "./scores.js";
import type { PodSnapshot } from "./snapshot.js";

const pod = (counts: number[], rows = counts.reduce((a, b) => a + b, 0), digest = "d"): PodSnapshot => ({
  windowSeconds: 60,
  baseline: { configured: true },
  drift: {
    baselineDigest: digest,
    rows,
    unmatched: [],
    features: [{ name: "x", source: "input", labels: ["0", "1"], expected: [0.5, 0.5], counts }],
  },
});

describe("drift scores", () => {
  it("PSI and Jensen-Shannon are 0 for the baseline's own shape and grow with the shift", () => {
    expect(psi([50, 50], [0.5, 0.5])).toBe(0);
    expect(jensenShannon([50, 50], [0.5, 0.5])).toBe(0);
    // p = (0.9, 0.1) against q = (0.5, 0.5): Σ (p-q) ln(p/q)
    expect(psi([90, 10], [0.5, 0.5])).toBeCloseTo(0.4 * Math.log(1.8) - 0.4 * Math.log(0.2), 10);
    expect(jensenShannon([100, 0], [0, 1])).toBeCloseTo(1, 10); // disjoint: the maximum
    // An empty live bin is floored at ε, not infinite.
    expect(psi([100, 0], [0.5, 0.5])).toBeCloseTo(
      (1 - 0.5) * Math.log(1 / 0.5) + (EPSILON - 0.5) * Math.log(EPSILON / 0.5),
      10,
    );
  });

  it("merges pods by adding their bin counts (a restarted pod just adds a shorter window)", () => {
    const m = mergeSnapshots([pod([40, 10]), pod([50, 0]), pod([0, 0])]);
    expect(m.pods).toBe(3);
    expect(m.rows).toBe(100);
    expect(m.drift?.scores[0]?.psi).toBeCloseTo(psi([90, 10], [0.5, 0.5]), 10);
  });

  it("merges only the pods of the most common baseline during a rollout", () => {
    const m = mergeSnapshots([pod([10, 10], 20, "old"), pod([30, 0], 30, "new"), pod([30, 0], 30, "new")]);
    expect(m.rows).toBe(60);
    expect(m.drift?.scores[0]?.psi).toBeCloseTo(psi([60, 0], [0.5, 0.5]), 10);
  });
});

describe("quality figures", () => {
  it("adds confusion matrices across pods before computing accuracy, macro-F1 and the lowest recall", () => {
    const q = (m: number[][]): PodSnapshot => ({
      windowSeconds: 60,
      baseline: { configured: false },
      quality: { task: "classification", classes: ["a", "b"], classification: { confusion: m } },
    });
    const merged = mergeSnapshots([
      q([
        [3, 1],
        [0, 0],
      ]),
      q([
        [1, 0],
        [2, 3],
      ]),
    ]);
    const f = qualityFigures(merged.quality as NonNullable<typeof merged.quality>);
    // confusion [[4,1],[2,3]]: accuracy 7/10; recall a 4/5, b 3/5; precision a 4/6, b 3/4
    expect(f.accuracy).toBeCloseTo(0.7);
    expect(f.minRecall).toBeCloseTo(0.6);
    const f1a = (2 * (4 / 6) * 0.8) / (4 / 6 + 0.8);
    const f1b = (2 * 0.75 * 0.6) / (0.75 + 0.6);
    expect(f.macroF1).toBeCloseTo((f1a + f1b) / 2);
  });

  it("computes MAE and RMSE from summed regression errors", () => {
    expect(qualityFigures({ task: "regression", n: 4, absoluteErrorSum: 8, squaredErrorSum: 36 })).toEqual({
      feedback: 4,
      mae: 2,
      rmse: 3,
    });
  });
});
