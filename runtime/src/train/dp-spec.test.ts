// hyperparameters.privacy as `train` reads a spec no API server checked (a local manifest): the CRD's rules again,
// each refusal naming the field, and the defaults filled in.
import { describe, expect, it } from "vitest";
import { trainSpecOf } from "./spec.js";

const job = (privacy: unknown) => ({
  kind: "TrainingJob",
  metadata: { name: "dp" },
  spec: {
    dataSetRef: { name: "d" },
    task: "multiclass",
    model: { layers: [{ type: "dense", units: 4, activation: "relu" }] },
    hyperparameters: { privacy },
  },
});

describe("hyperparameters.privacy in a local spec", () => {
  it("defaults sampling to poisson and leaves delta to the training rows", () => {
    expect(trainSpecOf(job({ l2NormClip: 1, noiseMultiplier: 1.1 })).privacy).toEqual({
      l2NormClip: 1,
      noiseMultiplier: 1.1,
      sampling: "poisson",
    });
    expect(trainSpecOf(job({ l2NormClip: 2, targetEpsilon: 3, delta: 1e-6, sampling: "shuffle" })).privacy).toEqual({
      l2NormClip: 2,
      targetEpsilon: 3,
      delta: 1e-6,
      sampling: "shuffle",
    });
    expect(trainSpecOf(job(undefined)).privacy).toBeUndefined();
  });

  it.each([
    [{ l2NormClip: 1 }, "spec.hyperparameters.privacy: set exactly one of noiseMultiplier or targetEpsilon"],
    [
      { l2NormClip: 1, noiseMultiplier: 1, targetEpsilon: 2 },
      "spec.hyperparameters.privacy: set exactly one of noiseMultiplier or targetEpsilon",
    ],
    [{ l2NormClip: 0, noiseMultiplier: 1 }, "spec.hyperparameters.privacy.l2NormClip must be greater than 0"],
    [{ noiseMultiplier: 1 }, "spec.hyperparameters.privacy.l2NormClip must be a number"],
    [
      { l2NormClip: 1, noiseMultiplier: 5000 },
      "spec.hyperparameters.privacy.noiseMultiplier must be a number from 0 to 1000",
    ],
    [
      { l2NormClip: 1, targetEpsilon: 1, delta: 0.5 },
      "spec.hyperparameters.privacy.delta must be a number from 0 to 0.1",
    ],
    [
      { l2NormClip: 1, targetEpsilon: 1, sampling: "batch" },
      "spec.hyperparameters.privacy.sampling must be one of poisson, shuffle",
    ],
  ])("refuses %j", (privacy, message) => {
    expect(() => trainSpecOf(job(privacy))).toThrow(message);
  });
});
