// A penguins model's preprocessing.json (island one-hot, bill length standardised), shared by the capture tests,
// bench:capture and the demo's step tests so they feed the runtime the same raw records.
import type { PreprocessingJson } from "../../runtime/src/contract/artifacts.js";

const PENGUIN_CLASSES = ["Adelie", "Chinstrap", "Gentoo"];

export function penguinsPreprocessing(hashedColumns: string[] = []): PreprocessingJson {
  return {
    formatVersion: 1,
    inputColumns: [
      { name: "island", type: "category" },
      { name: "bill_length_mm", type: "number" },
    ],
    fill: {},
    features: [
      { kind: "oneHot", column: "island", vocabulary: ["Biscoe", "Dream", "Torgersen"] },
      { kind: "standardize", column: "bill_length_mm", mean: 44, std: 5 },
    ],
    featureNames: ["island=Biscoe", "island=Dream", "island=Torgersen", "bill_length_mm"],
    target: { column: "species", task: "multiclass", classes: PENGUIN_CLASSES },
    hashedColumns,
  };
}
