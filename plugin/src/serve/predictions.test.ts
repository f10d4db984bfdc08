import { describe, expect, it } from "vitest";
import { table } from "../cli/terminal.js";
import { inputColumns, isV1Answer, predictionRows, predictionTable } from "./predictions.js";

describe("the predictions table", () => {
  const records = [
    { island: "Biscoe", body_mass_g: 5000 },
    { island: "Dream", body_mass_g: null, sex: "male" },
  ];

  it("has the input columns, then the predicted class and its probability", () => {
    const answer = {
      predictions: [
        [0.1, 0.2, 0.7],
        [0.8, 0.15, 0.05],
      ],
      labels: ["Gentoo", "Adelie"],
    };
    expect(isV1Answer(answer)).toBe(true);
    const t = predictionTable(predictionRows(records, answer));
    expect(table(t.headers, t.rows).split("\n")).toEqual([
      "ISLAND   BODY_MASS_G   SEX      PREDICTED   PROBABILITY",
      "Biscoe   5000          <none>   Gentoo      0.700",
      "Dream    <none>        male     Adelie      0.800",
    ]);
  });

  it("a binary model's single score is P(second class): the shown probability is the predicted class's", () => {
    const rows = predictionRows(records, { predictions: [[0.2], [0.9]], labels: ["no", "yes"] });
    expect(rows.map((r) => [r.label, r.score])).toEqual([
      ["no", 0.8],
      ["yes", 0.9],
    ]);
  });

  it("a regression model shows the predicted value", () => {
    const t = predictionTable(predictionRows(records, { predictions: [[3.25], [1.5]] }));
    expect(t.headers).toEqual(["island", "body_mass_g", "sex", "prediction"]);
    expect(t.rows.map((r) => r[3])).toEqual(["3.25", "1.5"]);
  });

  it("columns come in first-seen order", () => {
    expect(inputColumns([{ b: 1 }, { a: 1, b: 2 }])).toEqual(["b", "a"]);
    expect(isV1Answer({ outputs: [] })).toBe(false);
  });
});
