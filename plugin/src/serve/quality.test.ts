import { describe, expect, it } from "vitest";
import { classificationQuality, regressionQuality } from "./quality.js";

describe("live quality from feedback", () => {
  it("accuracy, macro precision/recall/F1 and a row per class from the confusion matrix (rows: true class)", () => {
    // Adelie: 3 right, 1 called Gentoo; Gentoo: 2 right; Chinstrap: never seen.
    const q = classificationQuality(
      ["Adelie", "Chinstrap", "Gentoo"],
      [
        [3, 0, 1],
        [0, 0, 0],
        [0, 0, 2],
      ],
    );
    if (q.task !== "classification") throw new Error("classification expected");
    expect(q.feedback).toBe(6);
    expect(q.accuracy).toBeCloseTo(5 / 6);
    expect(q.classes[0]).toMatchObject({ class: "Adelie", precision: 1, recall: 0.75, support: 4 });
    expect(q.classes[1]).toEqual({ class: "Chinstrap", support: 0 });
    expect(q.classes[2]).toMatchObject({ class: "Gentoo", precision: 2 / 3, recall: 1, support: 2 });
    // Macro over the classes that occurred (Adelie, Gentoo), as the operator's macro-F1.
    expect(q.macroPrecision).toBeCloseTo((1 + 2 / 3) / 2);
    expect(q.macroRecall).toBeCloseTo((0.75 + 1) / 2);
    expect(q.macroF1).toBeCloseTo(((2 * 0.75) / 1.75 + 0.8) / 2);
  });

  it("no feedback: no figures", () => {
    const q = classificationQuality(
      ["a", "b"],
      [
        [0, 0],
        [0, 0],
      ],
    );
    expect(q).toMatchObject({ feedback: 0 });
    expect("accuracy" in q).toBe(false);
    expect(regressionQuality(0, 0, 0)).toEqual({ task: "regression", feedback: 0 });
    expect(regressionQuality(4, 2, 4)).toEqual({ task: "regression", feedback: 4, mae: 0.5, rmse: 1 });
  });
});
