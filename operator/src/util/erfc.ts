// The complementary error function, which JavaScript lacks: the canary judge's tails (modeldeployment/loop/stats.ts)
// and the search's Parzen estimator (trainingsearch/algorithm/gauss.ts) share this one.

/**
 * Complementary error function, Chebyshev fit of Numerical Recipes (erfcc): fractional error below 1.2e-7 for every
 * x, so a tail probability stays accurate where it is tiny (1 − erf would lose it to cancellation).
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const poly =
    -1.26551223 +
    t *
      (1.00002368 +
        t *
          (0.37409196 +
            t *
              (0.09678418 +
                t *
                  (-0.18628806 +
                    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}
