import { describe, expect, it } from "vitest";
import type { PreprocessingJson } from "./artifacts.js";
import { compilePreprocessing, RecordError } from "./preprocess.js";

// A penguins-shaped preprocessing.json with hand-computed expectations.
const pre: PreprocessingJson = {
  formatVersion: 1,
  inputColumns: [
    { name: "bill_length_mm", type: "number" },
    { name: "flipper_length_mm", type: "number" },
    { name: "island", type: "category" },
    { name: "year", type: "integer" },
    { name: "male", type: "boolean" },
  ],
  fill: { flipper_length_mm: 200, island: "Dream" },
  features: [
    { kind: "standardize", column: "bill_length_mm", mean: 44, std: 5 },
    { kind: "minMax", column: "flipper_length_mm", min: 170, max: 230 },
    { kind: "oneHot", column: "island", vocabulary: ["Biscoe", "Dream", "Torgersen"] },
    { kind: "identity", column: "year" },
    { kind: "boolean", column: "male" },
  ],
  featureNames: [
    "bill_length_mm",
    "flipper_length_mm",
    "island=Biscoe",
    "island=Dream",
    "island=Torgersen",
    "year",
    "male",
  ],
  target: { column: "species", task: "multiclass", classes: ["Adelie", "Chinstrap", "Gentoo"] },
  hashedColumns: [],
};

const row = { bill_length_mm: 39, flipper_length_mm: 200, island: "Biscoe", year: 2007, male: true, species: "x" };

describe("compilePreprocessing", () => {
  const t = compilePreprocessing(pre);

  it("applies standardize, minMax, oneHot, identity and boolean in the features' order", () => {
    expect(t.width).toBe(7);
    expect(Array.from(t.batch([row]))).toEqual([-1, 0.5, 1, 0, 0, 2007, 1]);
  });

  it("fills an explicit null with the DataSet's fillNA literal", () => {
    const got = t.batch([{ ...row, flipper_length_mm: null, island: null }]);
    expect(Array.from(got)).toEqual([-1, 0.5, 0, 1, 0, 2007, 1]);
  });

  it("encodes an unseen category as all zeros", () => {
    expect(Array.from(t.batch([{ ...row, island: "Atlantis" }]).slice(2, 5))).toEqual([0, 0, 0]);
  });

  it("refuses a missing column, naming it and the instance", () => {
    const { island: _, ...noIsland } = row;
    expect(() => t.batch([row, noIsland])).toThrow(new RecordError("island", "instance 1: column 'island' is missing"));
  });

  it("refuses a null without a fill, a string for a number and a non-boolean", () => {
    expect(() => t.batch([{ ...row, bill_length_mm: null }])).toThrow(/'bill_length_mm' is null .* no fillNA/);
    expect(() => t.batch([{ ...row, year: "2007" }])).toThrow(/'year' must be a finite number, got the string "2007"/);
    expect(() => t.batch([{ ...row, male: "yes" }])).toThrow(/'male' must be true or false/);
    expect(() => t.batch([42 as never])).toThrow(/instance 0 is not an object/);
  });

  it("gives constant features 0 (std 0, max == min)", () => {
    const flat = compilePreprocessing({
      ...pre,
      features: [
        { kind: "standardize", column: "bill_length_mm", mean: 3, std: 0 },
        { kind: "minMax", column: "year", min: 2007, max: 2007 },
      ],
      featureNames: ["bill_length_mm", "year"],
    });
    expect(Array.from(flat.batch([row]))).toEqual([0, 0]);
  });

  it("refuses hashed feature columns, unknown format versions and inconsistent names", () => {
    expect(() => compilePreprocessing({ ...pre, hashedColumns: ["island"] })).toThrow(/hashed with the DataSet's/);
    expect(() => compilePreprocessing({ ...pre, formatVersion: 2 as 1 })).toThrow(/formatVersion 2/);
    expect(() => compilePreprocessing({ ...pre, featureNames: ["a"] })).toThrow(/1 feature names but .* make 7/);
  });
});
