// The few statistics the canary judge needs (pure): the normal distribution's tails and large-sample z scores of
// two proportions and of two means. No dependency: these are a dozen lines, and the tests pin them to tabled values.
import { erfc } from "../../util/erfc.js";

/** P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** P(Z >= z): the one-sided p-value of a z score whose alternative is "greater". */
export function upperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** num / se, where a zero spread makes any difference certain and no difference none. */
function z(num: number, se: number): number {
  if (se > 0) return num / se;
  return num > 0 ? Number.POSITIVE_INFINITY : num < 0 ? Number.NEGATIVE_INFINITY : 0;
}

/**
 * Pooled two-proportion z score of x1/n1 − x2/n2 (H0: equal proportions): positive when the first is higher.
 * Large-sample; callers ask for a minimum of samples first.
 */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): number {
  const p = (x1 + x2) / (n1 + n2);
  return z(x1 / n1 - x2 / n2, Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2)));
}

/**
 * z score of p1 − p2 + margin (H0: p1 − p2 <= −margin), unpooled, with the Agresti–Caffo adjustment (one success
 * and one failure added to each sample) so that 50 of 50 right on both sides does not read as zero spread.
 * Its upper tail tests non-inferiority of the first; its lower tail that the first is worse by more than margin.
 */
export function marginZ(x1: number, n1: number, x2: number, n2: number, margin: number): number {
  const p1 = (x1 + 1) / (n1 + 2);
  const p2 = (x2 + 1) / (n2 + 2);
  const se = Math.sqrt((p1 * (1 - p1)) / (n1 + 2) + (p2 * (1 - p2)) / (n2 + 2));
  return z(p1 - p2 + margin, se);
}

/** A sample's mean, its mean square (for the spread) and size: mean absolute error, MSE = RMSE², n. */
export interface MeanSample {
  mean: number;
  meanSquare: number;
  n: number;
}

/**
 * Welch (unequal variances) large-sample z score of mean1 − mean2 − shift; each variance is meanSquare − mean²,
 * which for absolute errors is exact from the sums the pods push (|e|² = e²).
 */
export function welchZ(a: MeanSample, b: MeanSample, shift = 0): number {
  const v = (s: MeanSample) => Math.max(s.meanSquare - s.mean * s.mean, 0) / s.n;
  return z(a.mean - b.mean - shift, Math.sqrt(v(a) + v(b)));
}
