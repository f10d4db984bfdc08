import { describe, expect, it } from "vitest";
import { classificationFigures, regressionFigures } from "./quality.js";

describe("quality figures", () => {
  it("computes accuracy, per-class precision/recall/F1 and macro-F1 from a confusion matrix", () => {
    // actual a: 3 (2 right, 1 as b); actual b: 2 (1 right, 1 as a); actual c: 1 right.
    const f = classificationFigures(
      ["a", "b", "c"],
      [
        [2, 1, 0],
        [1, 1, 0],
        [0, 0, 1],
      ],
    );
    expect(f.n).toBe(6);
    expect(f.accuracy).toBeCloseTo(4 / 6);
    expect(f.classes.map((c) => [c.label, c.precision, c.recall, c.support])).toEqual([
      ["a", 2 / 3, 2 / 3, 3],
      ["b", 1 / 2, 1 / 2, 2],
      ["c", 1, 1, 1],
    ]);
    expect(f.classes[0]?.f1).toBeCloseTo(2 / 3);
    expect(f.macroF1).toBeCloseTo((2 / 3 + 1 / 2 + 1) / 3);
  });

  it("leaves figures without data as null rather than 0 or NaN", () => {
    const f = classificationFigures(
      ["a", "b"],
      [
        [0, 0],
        [0, 0],
      ],
    );
    expect([f.accuracy, f.macroF1, f.classes[0]?.precision]).toEqual([null, null, null]);
  });

  it("computes MAE and RMSE from the error sums", () => {
    const r = regressionFigures(4, 1 + 1 + 2 + 4, 1 + 1 + 4 + 16);
    expect(r.mae).toBe(2);
    expect(r.rmse).toBeCloseTo(Math.sqrt(22 / 4));
    expect(regressionFigures(0, 0, 0).rmse).toBeNull();
  });
});
