// A training pod's DP-SGD progress report (runtime/src/train/trainer.ts Progress.privacy) as the operator takes it:
// kept through the untrusted-input check and written into status.progress beside the loss; a malformed one refused.
import { describe, expect, it } from "vitest";
import { checked, TrainProgress } from "./outcome.js";
import { statusPatch } from "./progress.js";

const report = {
  epoch: 3,
  epochs: 10,
  percentage: 30,
  loss: 0.512345,
  privacy: { epsilon: 1.234, delta: 1e-5, noiseMultiplier: 1.1, steps: 135 },
};

describe("status.progress.privacy", () => {
  it("is kept from the report and written beside the loss", () => {
    const p = checked(TrainProgress, report);
    expect(p?.privacy).toEqual(report.privacy);
    expect(statusPatch(p as TrainProgress).progress).toMatchObject({ shortLoss: "0.5123", privacy: report.privacy });
  });

  it.each([
    [{ ...report.privacy, epsilon: -1 }],
    [{ ...report.privacy, delta: 0 }],
    [{ ...report.privacy, steps: 1.5 }],
    [{ epsilon: 1 }],
  ])("refuses a malformed one: %j", (privacy) => {
    expect(checked(TrainProgress, { ...report, privacy })).toBeUndefined();
  });
});
