// hyperparameters.privacy resolved against the training split (Opacus' conventions): q = 1/⌈N/B⌉, ⌈N/B⌉ steps an
// epoch, δ from N when not given, the noise divisor, and the refusals.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../errors.js";
import { epsilonSpent } from "./dp-accountant.js";
import { planPrivacy } from "./dp-plan.js";
import { TrainingFailure } from "./trainer.js";

describe("planPrivacy", () => {
  it("takes Opacus' sampling rate and steps, and δ = 1/N rounded down to a power of ten, at most 1e-5", () => {
    const p = planPrivacy({ l2NormClip: 1, noiseMultiplier: 1.1, sampling: "poisson" }, 1438, 64, 30);
    expect(p.stepsPerEpoch).toBe(23);
    expect(p.sampleRate).toBe(1 / 23);
    expect(p.expectedBatch).toBeCloseTo(1438 / 23, 12);
    expect(p.delta).toBe(1e-5);
    expect(p.epsilonAfter(690)).toBe(epsilonSpent(1 / 23, 1.1, 690, 1e-5));
    expect(p.epsilonAfter(0)).toBe(0);
    expect(planPrivacy({ l2NormClip: 1, noiseMultiplier: 1, sampling: "poisson" }, 2_500_000, 256, 1).delta).toBe(1e-7);
    expect(
      planPrivacy({ l2NormClip: 1, noiseMultiplier: 1, delta: 1e-3, sampling: "shuffle" }, 100, 10, 1),
    ).toMatchObject({
      delta: 1e-3,
      expectedBatch: 10,
    });
  });

  it("derives σ for a target ε over all the run's steps", () => {
    const p = planPrivacy({ l2NormClip: 1, targetEpsilon: 3, sampling: "poisson" }, 1438, 64, 30);
    expect(p.epsilonAfter(30 * 23)).toBeLessThanOrEqual(3);
    expect(p.epsilonAfter(30 * 23)).toBeGreaterThan(2.99);
  });

  it("refuses a batch larger than the split, and an unreachable target naming the smallest reachable ε", () => {
    expect(() => planPrivacy({ l2NormClip: 1, noiseMultiplier: 1, sampling: "poisson" }, 50, 64, 1)).toThrow(
      ConfigError,
    );
    let err: unknown;
    try {
      planPrivacy({ l2NormClip: 1, targetEpsilon: 0.05, sampling: "poisson" }, 1438, 64, 30);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainingFailure);
    expect((err as TrainingFailure).reason).toBe("PrivacyBudgetUnreachable");
    const smallest = Number(/the smallest reachable ε is ([\d.]+)/.exec((err as Error).message)?.[1]);
    expect(smallest).toBeGreaterThan(0.05);
    // The named ε is reachable.
    expect(() =>
      planPrivacy({ l2NormClip: 1, targetEpsilon: smallest * 1.001, sampling: "poisson" }, 1438, 64, 30),
    ).not.toThrow();
  });
});
