// The privacy accountant of DP-SGD: Rényi differential privacy (RDP) of the sampled Gaussian mechanism (Mironov,
// Talwar, Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism", section 3.3), composed over the
// steps and converted to (ε, δ) by Balle et al. 2020 (Theorem 21), at the orders Opacus' RDPAccountant uses. The same
// arithmetic as Opacus and TF Privacy (log space throughout, the integer-order sum and the fractional-order series), so
// ε agrees with theirs to rounding; test/clients/dp-opacus.test.ts compares it with Opacus itself. Pure.
import { MAX_NOISE_MULTIPLIER } from "../contract/training.js";

/** Opacus' RDPAccountant.DEFAULT_ALPHAS: 1.1, 1.2, … 10.9, then 12 … 63. */
export const RDP_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 52 }, (_, x) => 12 + x),
];

/** log(e^x + e^y). */
function logAdd(x: number, y: number): number {
  const a = Math.min(x, y);
  const b = Math.max(x, y);
  if (a === Number.NEGATIVE_INFINITY) return b;
  return Math.log1p(Math.exp(a - b)) + b;
}

/** log(e^x − e^y), x ≥ y. */
function logSub(x: number, y: number): number {
  if (x < y) throw new Error("log-space subtraction would be negative");
  if (y === Number.NEGATIVE_INFINITY) return x;
  if (x === y) return Number.NEGATIVE_INFINITY;
  const d = Math.expm1(x - y);
  return Number.isFinite(d) ? Math.log(d) + y : x;
}

const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/**
 * log(erfc(x)), accurate in the far tail where erfc underflows: the Taylor series of erf below 2 (relative error of
 * erfc ~1e-13 there), the continued fraction erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + 3⁄2/(x + …)))) above it,
 * evaluated in log space. Opacus computes the same through scipy's log_ndtr.
 */
export function logErfc(x: number): number {
  if (x < 0) return Math.log(2 - Math.exp(logErfc(-x)));
  if (x < 2) {
    // erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.log(1 - (2 / Math.sqrt(Math.PI)) * sum);
  }
  let t = x;
  for (let k = 120; k >= 1; k--) t = x + k / 2 / t;
  return -x * x - LOG_SQRT_PI - Math.log(t);
}

/** log A_α for an integer order (the binomial sum of Mironov et al. 2019, section 3.3). */
function logAInt(q: number, sigma: number, alpha: number): number {
  let logA = Number.NEGATIVE_INFINITY;
  let logBinom = 0; // log C(alpha, 0)
  for (let i = 0; i <= alpha; i++) {
    if (i > 0) logBinom += Math.log((alpha - i + 1) / i);
    const s = logBinom + i * Math.log(q) + (alpha - i) * Math.log(1 - q) + (i * i - i) / (2 * sigma * sigma);
    logA = logAdd(logA, s);
  }
  return logA;
}

/** log A_α for a fractional order: the two half-line integrals as series, summed until their terms are < e^−30. */
function logAFrac(q: number, sigma: number, alpha: number): number {
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  let coef = 1; // the generalised binomial C(alpha, i)
  for (let i = 0; ; i++) {
    if (i > 0) coef *= (alpha - i + 1) / i;
    const logCoef = Math.log(Math.abs(coef));
    const j = alpha - i;
    const logT0 = logCoef + i * Math.log(q) + j * Math.log(1 - q);
    const logT1 = logCoef + j * Math.log(q) + i * Math.log(1 - q);
    const logE0 = Math.log(0.5) + logErfc((i - z0) / (Math.SQRT2 * sigma));
    const logE1 = Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    if (coef > 0) {
      logA0 = logAdd(logA0, logS0);
      logA1 = logAdd(logA1, logS1);
    } else {
      logA0 = logSub(logA0, logS0);
      logA1 = logSub(logA1, logS1);
    }
    if (Math.max(logS0, logS1) < -30 || i > 10000) break;
  }
  return logAdd(logA0, logA1);
}

/** RDP of one step of the sampled Gaussian mechanism (sampling rate q, noise multiplier σ) at each order. */
export function rdpPerStep(q: number, sigma: number, orders: readonly number[] = RDP_ORDERS): number[] {
  return orders.map((alpha) => {
    if (q === 0) return 0;
    if (sigma === 0) return Number.POSITIVE_INFINITY;
    if (q === 1) return alpha / (2 * sigma * sigma);
    const logA = Number.isInteger(alpha) ? logAInt(q, sigma, alpha) : logAFrac(q, sigma, alpha);
    return logA / (alpha - 1);
  });
}

/** (ε, best order) at δ from RDP values at `orders` (Balle et al. 2020, Theorem 21; Opacus' get_privacy_spent). */
export function epsilonFromRdp(
  rdp: readonly number[],
  delta: number,
  orders: readonly number[] = RDP_ORDERS,
): { epsilon: number; order: number } {
  let best = { epsilon: Number.POSITIVE_INFINITY, order: Number.NaN };
  orders.forEach((a, k) => {
    const eps = (rdp[k] as number) - (Math.log(delta) + Math.log(a)) / (a - 1) + Math.log((a - 1) / a);
    if (eps < best.epsilon) best = { epsilon: eps, order: a };
  });
  return best;
}

/** ε at δ after `steps` steps at sampling rate q and noise multiplier σ. */
export function epsilonSpent(q: number, sigma: number, steps: number, delta: number): number {
  if (steps === 0) return 0;
  return epsilonFromRdp(
    rdpPerStep(q, sigma).map((r) => r * steps),
    delta,
  ).epsilon;
}

/** What noiseForEpsilon answers: σ, or the smallest ε any allowed σ reaches. */
export type NoiseSearch =
  | { ok: true; noiseMultiplier: number; epsilon: number }
  | { ok: false; smallestEpsilon: number };

/**
 * The smallest noise multiplier whose ε after `steps` steps stays at or below `target` (bisection on σ to a relative
 * 1e-4, returning the upper end, so the promise holds). When even MAX_NOISE_MULTIPLIER does not reach it, the
 * smallest reachable ε — the conversion's floor at δ, or the steps' cost at the largest σ.
 */
export function noiseForEpsilon(target: number, q: number, steps: number, delta: number): NoiseSearch {
  const eps = (sigma: number) => epsilonSpent(q, sigma, steps, delta);
  const floor = eps(MAX_NOISE_MULTIPLIER);
  if (floor > target) return { ok: false, smallestEpsilon: floor };
  let lo = 0;
  let hi = 1;
  while (eps(hi) > target) {
    lo = hi;
    hi = Math.min(2 * hi, MAX_NOISE_MULTIPLIER);
  }
  while (hi - lo > 1e-4 * hi) {
    const mid = (lo + hi) / 2;
    if (eps(mid) > target) lo = mid;
    else hi = mid;
  }
  return { ok: true, noiseMultiplier: hi, epsilon: eps(hi) };
}
