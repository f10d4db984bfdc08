// The canary verdict (pure): stable and canary figures from the same window in, promote / roll back / wait out, with
// the test that decided it in words. Serving faults first (a canary that fails requests is rolled back without
// waiting for feedback), then quality, each only with enough samples: below minSamples nothing is decided.
// Drift scores and macro-F1 are shown with the figures but decide nothing: both tracks see the same inputs, and a
// retrained model is expected to predict differently from the old baseline.
import { Reason } from "../../reasons.js";
import type { TrackFigures } from "./figures.js";
import { marginZ, normalCdf, twoProportionZ, upperTail, welchZ } from "./stats.js";

export interface JudgePolicy {
  /** Feedback (and requests, for the serving checks) each track needs before anything is decided. */
  minSamples: number;
  /** Significance level of every one-sided test. */
  alpha: number;
  /**
   * Non-inferiority margin: classification, accuracy points the canary may lose (0.02 = two points); regression, the
   * share of the stable MAE the canary's may exceed it by (0.02 = 2 %).
   */
  maxAccuracyDrop: number;
  /** Error-rate points the canary may add before a significant increase rolls it back. */
  maxErrorRateIncrease: number;
  /** Canary p99 over stable p99 beyond which the canary is rolled back. */
  maxP99Ratio: number;
  /**
   * A p99 no more than this many ms above the stable's is never a latency regression: below that, a garbage-collection
   * pause on one pod decides the ratio, not the model. Optional (not in the CRD); default JUDGE_DEFAULTS'.
   */
  minP99IncreaseMs?: number;
}

export const JUDGE_DEFAULTS = {
  minSamples: 50,
  alpha: 0.05,
  maxAccuracyDrop: 0.02,
  maxErrorRateIncrease: 0.01,
  maxP99Ratio: 1.5,
  minP99IncreaseMs: 10,
} as const satisfies Required<JudgePolicy>;

export type Verdict = {
  decision: "promote" | "rollback" | "wait";
  /** A Reason of the catalogue (operator/src/reasons.ts), for status.loop.decision and Events. */
  reason: string;
  message: string;
  /** The test that decided, with its statistic, e.g. "two-proportion z-test, one-sided, z=3.10, p=0.001". */
  test: string;
};

const f3 = (x: number) => x.toFixed(3);
const fp = (p: number) => (p >= 0.001 ? p.toFixed(3) : p.toExponential(1));
const fz = (z: number) => (Number.isFinite(z) ? z.toFixed(2) : z > 0 ? "+inf" : "-inf");

function verdict(decision: Verdict["decision"], reason: string, message: string, test: string): Verdict {
  return { decision, reason, message, test };
}

/** A serving fault of the canary: significantly more errors, or a slower p99; undefined when neither. */
function servingFault(s: TrackFigures, c: TrackFigures, p: Required<JudgePolicy>): Verdict | undefined {
  if (s.requests < p.minSamples || c.requests < p.minSamples) return undefined;
  const rs = s.errors / s.requests;
  const rc = c.errors / c.requests;
  const z = twoProportionZ(c.errors, c.requests, s.errors, s.requests);
  const pv = upperTail(z);
  if (pv < p.alpha && rc > rs + p.maxErrorRateIncrease)
    return verdict(
      "rollback",
      Reason.CanaryErrorRate,
      `canary error rate ${f3(rc)} (${c.errors}/${c.requests}) > stable ${f3(rs)} (${s.errors}/${s.requests}) + ${p.maxErrorRateIncrease}, significant at alpha ${p.alpha}`,
      `two-proportion z-test on the error rates, one-sided, z=${fz(z)}, p=${fp(pv)}`,
    );
  if (s.p99Ms !== undefined && c.p99Ms !== undefined) {
    const ratio = s.p99Ms > 0 ? c.p99Ms / s.p99Ms : Number.POSITIVE_INFINITY;
    if (ratio > p.maxP99Ratio && c.p99Ms - s.p99Ms > p.minP99IncreaseMs)
      return verdict(
        "rollback",
        Reason.CanaryLatency,
        `canary p99 ${c.p99Ms.toFixed(1)} ms > ${p.maxP99Ratio} × stable p99 ${s.p99Ms.toFixed(1)} ms (over ${c.requests} and ${s.requests} requests)`,
        `p99 ratio ${Number.isFinite(ratio) ? ratio.toFixed(2) : "+inf"} > ${p.maxP99Ratio} (threshold, no test: quantiles of bucketed counts)`,
      );
  }
  return undefined;
}

function classification(s: TrackFigures, c: TrackFigures, p: Required<JudgePolicy>): Verdict {
  const as = s.correct / s.feedback;
  const ac = c.correct / c.feedback;
  const figures = `canary accuracy ${f3(ac)} (${c.correct}/${c.feedback}) vs stable ${f3(as)} (${s.correct}/${s.feedback})`;
  const sup = twoProportionZ(c.correct, c.feedback, s.correct, s.feedback);
  if (upperTail(sup) < p.alpha)
    return verdict(
      "promote",
      Reason.CanaryMoreAccurate,
      `${figures}: significantly higher at alpha ${p.alpha}`,
      `two-proportion z-test, one-sided (canary > stable), z=${fz(sup)}, p=${fp(upperTail(sup))}`,
    );
  const m = marginZ(c.correct, c.feedback, s.correct, s.feedback, p.maxAccuracyDrop);
  const name = `two-proportion z-test with margin ${p.maxAccuracyDrop} (Agresti-Caffo), one-sided`;
  if (normalCdf(m) < p.alpha)
    return verdict(
      "rollback",
      Reason.CanaryLessAccurate,
      `${figures}: significantly below stable − ${p.maxAccuracyDrop} at alpha ${p.alpha}`,
      `${name} (canary < stable − margin), z=${fz(m)}, p=${fp(normalCdf(m))}`,
    );
  if (upperTail(m) < p.alpha)
    return verdict(
      "promote",
      Reason.CanaryNotWorse,
      `${figures}: not worse than stable − ${p.maxAccuracyDrop} (non-inferiority) at alpha ${p.alpha}`,
      `${name} (canary > stable − margin), z=${fz(m)}, p=${fp(upperTail(m))}`,
    );
  return verdict(
    "wait",
    Reason.NotEnoughFeedback,
    `${figures}: too close to tell apart within ${p.maxAccuracyDrop} at alpha ${p.alpha}; waiting for more feedback`,
    `${name}, z=${fz(m)}, p=${fp(upperTail(m))} (non-inferiority not shown)`,
  );
}

function regression(s: TrackFigures, c: TrackFigures, p: Required<JudgePolicy>): Verdict {
  const sample = (t: TrackFigures) => ({ mean: t.mae ?? 0, meanSquare: (t.rmse ?? 0) ** 2, n: t.n ?? t.feedback });
  const ms = sample(s);
  const mc = sample(c);
  const figures = `canary MAE ${f3(mc.mean)} (n=${mc.n}) vs stable ${f3(ms.mean)} (n=${ms.n})`;
  const name = "Welch z-test on the mean absolute error (variance from the squared errors), one-sided";
  const sup = welchZ(ms, mc);
  if (upperTail(sup) < p.alpha)
    return verdict(
      "promote",
      Reason.CanaryMoreAccurate,
      `${figures}: significantly lower at alpha ${p.alpha}`,
      `${name} (canary < stable), z=${fz(sup)}, p=${fp(upperTail(sup))}`,
    );
  const margin = p.maxAccuracyDrop * ms.mean;
  const worse = welchZ(mc, ms, margin);
  const limit = `stable × ${1 + p.maxAccuracyDrop}`;
  if (upperTail(worse) < p.alpha)
    return verdict(
      "rollback",
      Reason.CanaryLessAccurate,
      `${figures}: significantly above ${limit} at alpha ${p.alpha}`,
      `${name} (canary > ${limit}), z=${fz(worse)}, p=${fp(upperTail(worse))}`,
    );
  if (normalCdf(worse) < p.alpha)
    return verdict(
      "promote",
      Reason.CanaryNotWorse,
      `${figures}: not above ${limit} (non-inferiority) at alpha ${p.alpha}`,
      `${name} (canary < ${limit}), z=${fz(worse)}, p=${fp(normalCdf(worse))}`,
    );
  return verdict(
    "wait",
    Reason.NotEnoughFeedback,
    `${figures}: too close to tell apart within ${limit} at alpha ${p.alpha}; waiting for more feedback`,
    `${name}, z=${fz(worse)}, p=${fp(normalCdf(worse))} (non-inferiority not shown)`,
  );
}

/**
 * Promote, roll back or wait. In order: the canary's serving faults (error rate, p99; with minSamples requests on
 * both tracks); then fewer than minSamples feedback on either track waits; then accuracy (classification) or MAE
 * (regression): significantly better promotes, significantly worse than the margin rolls back, non-inferior within
 * the margin promotes, anything else waits for more feedback.
 */
export function judge(stable: TrackFigures, canary: TrackFigures, policy: JudgePolicy): Verdict {
  const p: Required<JudgePolicy> = {
    ...policy,
    minP99IncreaseMs: policy.minP99IncreaseMs ?? JUDGE_DEFAULTS.minP99IncreaseMs,
  };
  const fault = servingFault(stable, canary, p);
  if (fault) return fault;
  const short = [
    ...(canary.feedback < p.minSamples ? [`${canary.feedback} on the canary`] : []),
    ...(stable.feedback < p.minSamples ? [`${stable.feedback} on the stable track`] : []),
  ];
  if (short.length > 0)
    return verdict(
      "wait",
      Reason.NotEnoughFeedback,
      `feedback ${short.join(", ")}; each track needs ${p.minSamples} before the canary is judged`,
      `none yet (minimum ${p.minSamples} feedback per track)`,
    );
  if (stable.accuracy !== undefined && canary.accuracy !== undefined) return classification(stable, canary, p);
  if (stable.mae !== undefined && canary.mae !== undefined) return regression(stable, canary, p);
  return verdict(
    "wait",
    Reason.NotEnoughFeedback,
    "the tracks report no comparable quality figures (accuracy on both, or MAE on both)",
    "none (no comparable figures)",
  );
}
