// The demo's pure helpers: the progress line, raw records back from features, accuracy, skewed traffic.
import { describe, expect, it } from "vitest";
import { compilePreprocessing } from "../../runtime/src/contract/preprocess.js";
import { penguinsPreprocessing } from "../../test/support/penguins-preprocessing.js";
import { labelOf, penguins, SPECIES, sampler } from "./concept-drift.js";
import { ProgressPrinter, progressLine } from "./progress-bar.js";
import { skewed } from "./steps/drift.js";
import { stageLine } from "./steps/loop.js";
import { accuracy } from "./steps/serve.js";
import { milestoneLine } from "./steps.js";
import { rawRecord } from "./test-split.js";

const pre = penguinsPreprocessing();

describe("progressLine", () => {
  it("draws the bar, epoch, loss, validation metrics and ETA", () => {
    expect(
      progressLine(
        {
          epoch: 15,
          epochs: 60,
          percentage: 25,
          loss: 0.12345,
          metrics: { val_accuracy: 0.98, accuracy: 0.9, val_loss: 0.05 },
          estimatedRemainingSeconds: 30,
        },
        8,
      ),
    ).toBe("[██░░░░░░]  25%  epoch 15/60  loss 0.123  val_accuracy 0.980  val_loss 0.050  ETA 30s");
  });

  it("logs one line per 10 % step when not on a terminal", () => {
    const lines: string[] = [];
    const p = new ProgressPrinter((l) => lines.push(l));
    for (const pct of [1, 5, 12, 18, 33, 100]) p.update({ epoch: pct, epochs: 100, percentage: pct });
    expect(lines.map((l) => l.match(/(\d+)%/)?.[1])).toEqual(["1", "12", "33", "100"]);
  });
});

describe("rawRecord", () => {
  it("turns a feature row back into the record the serving transform maps to the same features", () => {
    const features = [0, 0, 1, (39.1 - 44) / 5];
    const record = rawRecord(pre, features);
    expect(record).toEqual({ island: "Torgersen", bill_length_mm: 39.1 });
    const again = compilePreprocessing(pre).batch([record]);
    for (const [i, f] of features.entries()) expect(again[i]).toBeCloseTo(f, 6);
  });
});

describe("accuracy and skewed traffic", () => {
  const records = [
    { record: { body_mass_g: 3000, flipper_length_mm: 190, island: "Dream" }, label: "Adelie" },
    { record: { body_mass_g: 5000, flipper_length_mm: 220, island: "Biscoe" }, label: "Gentoo" },
  ];

  it("scores predicted labels against the true ones", () => {
    expect(accuracy(["Adelie", "Gentoo"], records)).toBe(1);
    expect(accuracy(["Adelie", "Adelie"], records)).toBe(0.5);
    expect(accuracy([], [])).toBe(0);
  });

  it("shifts mass and flippers and keeps the other columns", () => {
    expect(skewed(records)).toEqual([
      { body_mass_g: 5500, flipper_length_mm: 230, island: "Dream" },
      { body_mass_g: 7500, flipper_length_mm: 260, island: "Biscoe" },
    ]);
  });
});

describe("milestoneLine", () => {
  it("gives the time since the demo started and the load average it was measured under", () => {
    expect(milestoneLine("first prediction", 38.24, 2.104)).toBe(
      "demo: first prediction 38.2s after the demo started (load average 2.10)",
    );
  });
});

describe("concept drift", () => {
  const csv =
    "species,island,bill_length_mm,year\nAdelie,Dream,39.1,2007\nGentoo,Biscoe,NA,2008\nChinstrap,Dream,46.5,2009\n";

  it("keeps complete rows with every column but the target, numbers as numbers", () => {
    expect(penguins(csv)).toEqual([
      { record: { island: "Dream", bill_length_mm: 39.1, year: 2007 }, species: "Adelie" },
      { record: { island: "Dream", bill_length_mm: 46.5, year: 2009 }, species: "Chinstrap" },
    ]);
  });

  it("the drifted rule is a permutation: no species keeps its name and every name is used once", () => {
    const drifted = SPECIES.map((s) => labelOf({ record: {}, species: s }, "drifted"));
    expect(new Set(drifted)).toEqual(new Set(SPECIES));
    expect(drifted.filter((d, i) => d === SPECIES[i])).toEqual([]);
    expect(labelOf({ record: {}, species: "Gentoo" }, "original")).toBe("Gentoo");
  });

  it("draws the same rows for the same seed, other rows for another", () => {
    const rows = penguins(csv);
    const a = sampler(rows, 1)(20);
    expect(sampler(rows, 1)(20)).toEqual(a);
    expect(sampler(rows, 2)(20)).not.toEqual(a);
    expect(new Set(a.map((p) => p.species))).toEqual(new Set(["Adelie", "Chinstrap"]));
  });
});

describe("stageLine", () => {
  it("says the trigger and children while retraining, the reason once decided", () => {
    expect(
      stageLine(
        { stage: "Retraining", trigger: { reason: "Degraded", message: "accuracy 0.01" }, dataSet: "p-loop-1" },
        3200,
      ),
    ).toBe("   +3.2s  Retraining  accuracy 0.01; DataSet p-loop-1, TrainingJob …");
    expect(stageLine({ stage: "Promoted", decision: { reason: "CanaryMoreAccurate", message: "m" } }, 61_000)).toBe(
      "  +61.0s  Promoted    CanaryMoreAccurate: m",
    );
  });
});
