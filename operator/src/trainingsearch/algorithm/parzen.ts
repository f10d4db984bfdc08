// The Parzen estimators of TPE (Bergstra et al. 2011, "Algorithms for Hyper-Parameter Optimization"), built as
// Optuna's univariate _ParzenEstimator with its defaults (optuna/samplers/_tpe/parzen_estimator.py): one truncated
// Gaussian kernel per observation plus a prior kernel (centre of the range, sigma the whole range, weight 1); a
// kernel's sigma is the larger gap to its neighbours (consider_endpoints false: the outermost kernels ignore the
// domain's ends), clipped to [range / min(100, 1 + kernels), range] (the "magic clip"); a discrete range widens by
// half a step each side and weighs a point by its bin's mass. Categorical: each observation a distribution with
// prior_weight / (n + 1) on every choice and 1 more on its own, the prior kernel uniform.

import { logGaussMass, logNormalPdf, truncatedNormal } from "./gauss.js";
import type { Random } from "./rng.js";

const PRIOR_WEIGHT = 1;

/** Optuna's default_weights: older observations fade linearly once there are more than 25. */
function observationWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const fading = Array.from({ length: ramp }, (_, i) => (ramp === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (ramp - 1)));
  return [...fading, ...new Array<number>(25).fill(1)];
}

/** Mixture weights of n observation kernels (oldest first) and the prior kernel, summing to 1. */
export function mixtureWeights(n: number): number[] {
  const weights = [...observationWeights(n), PRIOR_WEIGHT];
  const total = weights.reduce((s, w) => s + w, 0);
  return weights.map((w) => w / total);
}

export interface NumericEstimator {
  mus: number[];
  sigmas: number[];
  weights: number[];
  low: number;
  high: number;
  step?: number;
}

/** Observations oldest first, in the internal (log when log) scale, inside [low, high]. */
export function numericEstimator(observations: number[], low: number, high: number, step?: number): NumericEstimator {
  const half = (step ?? 0) / 2;
  const width = high - low + (step ?? 0);
  const prior = 0.5 * (low + high);
  const mus = [...observations, prior];
  const order = mus.map((_, i) => i).sort((a, b) => (mus[a] as number) - (mus[b] as number));
  const edges = [low - half, ...order.map((i) => mus[i] as number), high + half];
  const sorted = order.map((_, k) =>
    Math.max((edges[k + 1] as number) - (edges[k] as number), (edges[k + 2] as number) - (edges[k + 1] as number)),
  );
  if (edges.length >= 4) {
    sorted[0] = (edges[2] as number) - (edges[1] as number);
    sorted[sorted.length - 1] = (edges[edges.length - 2] as number) - (edges[edges.length - 3] as number);
  }
  const minSigma = width / Math.min(100, 1 + mus.length);
  const sigmas = new Array<number>(mus.length);
  order.forEach((i, k) => {
    sigmas[i] = Math.min(width, Math.max(minSigma, sorted[k] as number));
  });
  sigmas[mus.length - 1] = width;
  return { mus, sigmas, weights: mixtureWeights(observations.length), low, high, ...(step ? { step } : {}) };
}

function pickKernel(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let k = 0; k < weights.length; k++) {
    acc += weights[k] as number;
    if (u < acc) return k;
  }
  return weights.length - 1;
}

/** A draw from the mixture, snapped to the step's points when discrete. */
export function sampleNumeric(est: NumericEstimator, random: Random): number {
  const k = pickKernel(est.weights, random());
  const half = (est.step ?? 0) / 2;
  const x = truncatedNormal(random, est.mus[k] as number, est.sigmas[k] as number, est.low - half, est.high + half);
  if (!est.step) return x;
  return Math.min(est.high, Math.max(est.low, est.low + Math.round((x - est.low) / est.step) * est.step));
}

function logSumExp(xs: number[]): number {
  const max = Math.max(...xs);
  if (max === Number.NEGATIVE_INFINITY) return max;
  return max + Math.log(xs.reduce((s, x) => s + Math.exp(x - max), 0));
}

/** log density at x (continuous), or log mass of x's bin (discrete). */
export function logDensityNumeric(est: NumericEstimator, x: number): number {
  const half = (est.step ?? 0) / 2;
  const terms = est.mus.map((mu, k) => {
    const sigma = est.sigmas[k] as number;
    const inside = logGaussMass((est.low - half - mu) / sigma, (est.high + half - mu) / sigma);
    const own = half
      ? logGaussMass(
          (Math.max(x - half, est.low - half) - mu) / sigma,
          (Math.min(x + half, est.high + half) - mu) / sigma,
        )
      : logNormalPdf((x - mu) / sigma) - Math.log(sigma);
    return Math.log(est.weights[k] as number) + own - inside;
  });
  return logSumExp(terms);
}

/** The mixture's probability of each choice, from observed choice indices (oldest first). */
export function categoricalEstimator(observations: number[], choices: number): number[] {
  const weights = mixtureWeights(observations.length);
  const smoothing = PRIOR_WEIGHT / (observations.length + 1);
  const probabilities = new Array<number>(choices).fill(0);
  const rows = [...observations, -1]; // -1: the prior kernel, uniform
  rows.forEach((observed, k) => {
    const total = choices * smoothing + (observed >= 0 ? 1 : 0);
    for (let c = 0; c < choices; c++) {
      probabilities[c] =
        (probabilities[c] ?? 0) + ((weights[k] as number) * (smoothing + (c === observed ? 1 : 0))) / total;
    }
  });
  return probabilities;
}

/** A choice index drawn from categorical probabilities. */
export function sampleCategorical(probabilities: readonly number[], random: Random): number {
  return pickKernel(probabilities, random());
}
