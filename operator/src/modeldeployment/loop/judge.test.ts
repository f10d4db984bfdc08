// The canary verdict on figures that could go either way: each case beside a near twin whose figures decide the
// other way (or not at all), so a rule that always promotes, always rolls back or ignores its samples fails.
import { describe, expect, it } from "vitest";
import type { TrackFigures } from "./figures.js";
import { JUDGE_DEFAULTS, type JudgePolicy, judge } from "./judge.js";

const P: JudgePolicy = {
  minSamples: JUDGE_DEFAULTS.minSamples,
  alpha: JUDGE_DEFAULTS.alpha,
  maxAccuracyDrop: JUDGE_DEFAULTS.maxAccuracyDrop,
  maxErrorRateIncrease: JUDGE_DEFAULTS.maxErrorRateIncrease,
  maxP99Ratio: JUDGE_DEFAULTS.maxP99Ratio,
};

/** A classification track: `correct` of `feedback` right; serving healthy unless given. */
const cls = (correct: number, feedback: number, serving: Partial<TrackFigures> = {}): TrackFigures => ({
  pods: 1,
  feedback,
  correct,
  accuracy: correct / feedback,
  requests: 1000,
  errors: 0,
  p99Ms: 5,
  ...serving,
});

/** A regression track: MAE and RMSE over n feedback. */
const reg = (mae: number, rmse: number, n: number): TrackFigures => ({
  pods: 1,
  feedback: n,
  correct: 0,
  mae,
  rmse,
  n,
  requests: 1000,
  errors: 0,
  p99Ms: 5,
});

const decide = (stable: TrackFigures, canary: TrackFigures, policy: JudgePolicy = P) => {
  const v = judge(stable, canary, policy);
  return `${v.decision} ${v.reason}`;
};

describe("judge: accuracy", () => {
  it("a clearly more accurate canary is promoted; a slightly better one is not, by that test", () => {
    expect(decide(cls(70, 100), cls(90, 100))).toBe("promote CanaryMoreAccurate");
    expect(decide(cls(70, 100), cls(72, 100))).not.toBe("promote CanaryMoreAccurate");
  });

  it("a clearly less accurate canary is rolled back; one within the margin is not", () => {
    expect(decide(cls(90, 100), cls(60, 100))).toBe("rollback CanaryLessAccurate");
    expect(decide(cls(90, 100), cls(89, 100))).not.toMatch(/^rollback/);
  });

  it("fewer than minSamples feedback on either track waits, where the same shares with enough decide", () => {
    expect(decide(cls(28, 40), cls(49, 49))).toBe("wait NotEnoughFeedback");
    expect(decide(cls(35, 50), cls(20, 40))).toBe("wait NotEnoughFeedback");
    expect(decide(cls(35, 50), cls(50, 50))).toBe("promote CanaryMoreAccurate");
    expect(decide(cls(35, 50), cls(25, 50))).toBe("rollback CanaryLessAccurate");
    // The policy's own minimum counts, not a fixed one.
    expect(decide(cls(35, 50), cls(50, 50), { ...P, minSamples: 60 })).toBe("wait NotEnoughFeedback");
  });

  it("equal accuracy is promoted only by non-inferiority, i.e. only once there is enough feedback", () => {
    expect(decide(cls(90, 100), cls(90, 100))).toBe("wait NotEnoughFeedback");
    expect(decide(cls(2700, 3000), cls(2700, 3000))).toBe("promote CanaryNotWorse");
    // A smaller margin needs more: at 0.005 the same 3000 do not show it.
    expect(decide(cls(2700, 3000), cls(2700, 3000), { ...P, maxAccuracyDrop: 0.005 })).toBe("wait NotEnoughFeedback");
  });

  it("a stricter alpha turns a borderline difference into a weaker verdict", () => {
    // Superiority z ≈ 2.1: significant at 0.05, not at 0.01 (where non-inferiority still holds).
    expect(decide(cls(75, 100), cls(87, 100))).toBe("promote CanaryMoreAccurate");
    expect(decide(cls(75, 100), cls(87, 100), { ...P, alpha: 0.01 })).toBe("promote CanaryNotWorse");
    // Worse by more than the margin at z ≈ −1.78: p ≈ 0.04, a rollback at 0.05, undecided at 0.01.
    expect(decide(cls(87, 100), cls(75, 100))).toBe("rollback CanaryLessAccurate");
    expect(decide(cls(87, 100), cls(75, 100), { ...P, alpha: 0.01 })).toBe("wait NotEnoughFeedback");
  });

  it("states the test and its statistic, and the figures it used", () => {
    const v = judge(cls(70, 100), cls(90, 100), P);
    expect(v.test).toMatch(/^two-proportion z-test, one-sided \(canary > stable\), z=3\.54, p=/);
    expect(v.message).toContain("canary accuracy 0.900 (90/100) vs stable 0.700 (70/100)");
  });
});

describe("judge: serving faults come first", () => {
  it("a significantly higher error rate rolls back, even before any feedback", () => {
    const v = judge(cls(0, 0, { errors: 2 }), cls(0, 0, { errors: 40 }), P);
    expect(`${v.decision} ${v.reason}`).toBe("rollback CanaryErrorRate");
    expect(v.test).toMatch(/two-proportion z-test on the error rates, one-sided, z=\d+\.\d+, p=/);
    // Not significant (5 against 2 in 1000): no rollback.
    expect(decide(cls(0, 0, { errors: 2 }), cls(0, 0, { errors: 5 }))).toBe("wait NotEnoughFeedback");
  });

  it("a significant increase within maxErrorRateIncrease is tolerated", () => {
    const s = cls(90, 100, { requests: 10_000, errors: 0 });
    const c = cls(90, 100, { requests: 10_000, errors: 50 }); // 0.5 %: significant, under 1 point
    expect(decide(s, c)).not.toMatch(/CanaryErrorRate/);
    expect(decide(s, c, { ...P, maxErrorRateIncrease: 0.001 })).toBe("rollback CanaryErrorRate");
  });

  it("a p99 beyond maxP99Ratio × stable's rolls back; within the ratio, or a few ms above, does not", () => {
    expect(decide(cls(90, 100, { p99Ms: 20 }), cls(95, 100, { p99Ms: 45 }))).toBe("rollback CanaryLatency");
    expect(decide(cls(90, 100, { p99Ms: 20 }), cls(95, 100, { p99Ms: 28 }))).not.toMatch(/CanaryLatency/);
    // Twice as slow but 3 ms: a pause on one pod, not the model (minP99IncreaseMs, default 10).
    expect(decide(cls(90, 100, { p99Ms: 3 }), cls(95, 100, { p99Ms: 6 }))).not.toMatch(/CanaryLatency/);
    expect(decide(cls(90, 100, { p99Ms: 3 }), cls(95, 100, { p99Ms: 6 }), { ...P, minP99IncreaseMs: 1 })).toBe(
      "rollback CanaryLatency",
    );
  });

  it("serving figures over fewer than minSamples requests decide nothing", () => {
    const few = { requests: 20 };
    expect(decide(cls(0, 0, { ...few, errors: 0 }), cls(0, 0, { ...few, errors: 15 }))).toBe("wait NotEnoughFeedback");
    expect(decide(cls(0, 0, { ...few, p99Ms: 20 }), cls(0, 0, { ...few, p99Ms: 200 }))).toBe("wait NotEnoughFeedback");
  });
});

describe("judge: regression (MAE)", () => {
  it("a significantly lower MAE promotes, a significantly higher one rolls back", () => {
    expect(decide(reg(1, 1.25, 200), reg(0.7, 0.9, 200))).toBe("promote CanaryMoreAccurate");
    expect(decide(reg(1, 1.25, 200), reg(1.5, 1.9, 200))).toBe("rollback CanaryLessAccurate");
    const v = judge(reg(1, 1.25, 200), reg(0.7, 0.9, 200), P);
    expect(v.test).toMatch(/^Welch z-test on the mean absolute error/);
  });

  it("an equal MAE waits on a small sample and is promoted as not worse on a large one", () => {
    expect(decide(reg(1, 1.25, 200), reg(1, 1.25, 200))).toBe("wait NotEnoughFeedback");
    expect(decide(reg(1, 1.25, 20_000), reg(1, 1.25, 20_000))).toBe("promote CanaryNotWorse");
  });

  it("tracks without comparable figures wait", () => {
    expect(decide(cls(90, 100), reg(1, 1.25, 200))).toBe("wait NotEnoughFeedback");
  });
});
