import { describe, expect, it } from "vitest";
import { computeMetrics, rocAuc } from "./metrics.js";

describe("metrics", () => {
  it("binary: accuracy, precision, recall at 0.5 and ROC AUC", () => {
    const o = { p: Float32Array.from([0.9, 0.6, 0.4, 0.2]), k: 1, y: Float32Array.from([1, 0, 1, 0]) };
    // predicted 1 0 … → [1, 1, 0, 0]: TP 1, FP 1, FN 1, TN 1.
    expect(computeMetrics(["accuracy", "precision", "recall", "auc"], "binary", o)).toEqual({
      accuracy: 0.5,
      precision: 0.5,
      recall: 0.5,
      auc: 0.75,
    });
  });

  it("multiclass: argmax accuracy and macro precision/recall", () => {
    const o = {
      p: Float32Array.from([0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.6, 0.3, 0.1]),
      k: 3,
      y: Float32Array.from([0, 1, 2]),
    };
    const m = computeMetrics(["accuracy", "precision", "recall"], "multiclass", o);
    expect(m.accuracy).toBeCloseTo(2 / 3, 10);
    // class 0: TP 1 FP 1 → 0.5; class 1: 1; class 2: no predictions → 0.
    expect(m.precision).toBeCloseTo(0.5, 10);
    expect(m.recall).toBeCloseTo(2 / 3, 10);
  });

  it("regression: mse and mae", () => {
    const o = { p: Float32Array.from([1, 2, 4]), k: 1, y: Float32Array.from([1, 3, 2]) };
    expect(computeMetrics(["mse", "mae"], "regression", o)).toEqual({ mse: 5 / 3, mae: 1 });
  });

  it("AUC counts ties as half and is undefined with one class", () => {
    expect(rocAuc([0.5, 0.5], (i) => i === 0)).toBe(0.5);
    expect(rocAuc([0.1, 0.2], () => true)).toBeNaN();
  });
});
