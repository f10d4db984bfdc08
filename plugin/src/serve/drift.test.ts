import { describe, expect, it } from "vitest";
import type { PodSnapshot } from "../../../operator/src/modeldeployment/monitoring/snapshot.js";
import { driftReport } from "./drift-report.js";
import { driftLines } from "./drift-view.js";

const pod = (mass: number[], island: number[], confusion?: number[][]): PodSnapshot => ({
  windowSeconds: 600,
  baseline: { configured: true },
  drift: {
    baselineDigest: "d1",
    rows: mass.reduce((a, b) => a + b, 0),
    unmatched: [],
    features: [
      {
        name: "body_mass_g",
        source: "input",
        labels: ["0", "1", "2", "3"],
        expected: [0.25, 0.25, 0.25, 0.25],
        counts: mass,
      },
      {
        name: "island",
        source: "input",
        labels: ["Biscoe", "Dream", "__other__"],
        expected: [0.5, 0.5, 0],
        counts: island,
      },
    ],
  },
  ...(confusion
    ? { quality: { task: "classification", classes: ["Adelie", "Gentoo"], classification: { confusion } } }
    : {}),
});

describe("drift: the pods' snapshots merged and drawn", () => {
  const snaps = [
    pod(
      [0, 0, 1, 9],
      [5, 5, 0],
      [
        [2, 0],
        [1, 3],
      ],
    ),
    pod(
      [0, 0, 0, 10],
      [4, 6, 0],
      [
        [1, 0],
        [0, 1],
      ],
    ),
  ];

  it("adds up the pods' counts, scores each feature and puts the worst first", () => {
    const r = driftReport(snaps, 0.2);
    expect(r.pods).toBe(2);
    expect(r.rows).toBe(20);
    expect(r.features.map((f) => f.name)).toEqual(["body_mass_g", "island"]);
    const mass = r.features[0];
    expect(mass?.live).toEqual([0, 0, 0.05, 0.95]);
    expect(mass?.baseline).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(mass?.rows).toBe(20);
    expect(mass?.drifted).toBe(true);
    expect(r.features[1]?.drifted).toBe(false);
    expect(r.features[1]?.psi).toBeLessThan(0.2);
    expect(r.quality).toMatchObject({ task: "classification", feedback: 8, accuracy: 7 / 8 });
  });

  it("prints a header, a row per feature with both histograms, and the quality table", () => {
    const lines = driftLines(driftReport(snaps, 0.2), {
      what: "modeldeployment/penguins in namespace demo",
      asked: 2,
      wide: false,
      feedbackOn: true,
    });
    expect(lines[0]).toBe(
      "modeldeployment/penguins in namespace demo: 2 of 2 ready pod(s) read, window 600s, 20 row(s), drift threshold PSI 0.2",
    );
    expect(lines[2]).toMatch(/^FEATURE\s+SOURCE\s+PSI\s+JS\s+STATE\s+BASELINE\s+LIVE$/);
    expect(lines[3]).toMatch(/^body_mass_g\s+input\s+\d+\.\d{3}\s+0\.\d{3}\s+DRIFTED\s+▃▃▃▃\s+··▁█$/);
    expect(lines[4]).toMatch(/^island\s+input\s+0\.\d{3}\s+0\.\d{3}\s+OK\s+██·\s+▇█·$/);
    expect(lines.slice(5, 9)).toEqual([
      "",
      "bins of numeric columns: the training data's deciles, lowest first",
      "bins of island: Biscoe, Dream, (other)",
      "",
    ]);
    expect(lines).toContain(
      "QUALITY (8 feedback label(s) in the window): accuracy 0.875   precision 0.875   recall 0.900   F1 0.873   (macro)",
    );
    expect(lines.at(-3)).toMatch(/^CLASS\s+PRECISION\s+RECALL\s+F1\s+SUPPORT$/);
    expect(lines.at(-2)).toMatch(/^Adelie\s+0\.750\s+1\.000\s+0\.857\s+3$/);
  });

  it("says so when there is no feedback, or feedback is off, or no drift baseline", () => {
    const r = driftReport([pod([1, 1, 1, 1], [1, 1, 0])], undefined);
    expect(r.features.every((f) => !f.drifted)).toBe(true);
    const o = { what: "m", asked: 1, wide: true, feedbackOn: false };
    const lines = driftLines(r, o);
    expect(lines[0]).toMatch(/no drift threshold$/);
    expect(lines[2]).toMatch(/ROWS\s+BINS$/);
    expect(lines[3]).toMatch(/\s4\s+0,1,2,3$/);
    expect(lines.at(-1)).toBe("QUALITY: feedback is off (spec.monitoring.feedback)");
    const none = driftLines(driftReport([{ windowSeconds: 60, baseline: { configured: false } }], undefined), {
      ...o,
      feedbackOn: true,
    });
    expect(none).toContain(
      "DRIFT: no baseline to compare with (spec.monitoring.drift unset, or the model has no statistics)",
    );
    expect(none.at(-1)).toMatch(/^QUALITY: no feedback in the last 60s; /);
  });
});
