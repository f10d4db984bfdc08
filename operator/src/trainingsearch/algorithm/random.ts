// Random search, as Optuna's RandomSampler draws (optuna/samplers/_random.py): a float uniform on [min, max]
// (log-uniform when log), an int uniform over its points inclusive (log: the rounding of a log-uniform draw on
// [min - 0.5, max + 0.5], so both ends get their share), a list or category uniformly. One stream per
// (seed, index, parameter name), so a parameter's draw does not move when another parameter is added.

import { streamFor } from "./rng.js";
import { type Domain, domainOf, pointAt, pointCount, tidy } from "./space.js";
import type { ParameterSpec, ParameterValue } from "./types.js";

/** The value a uniform draw `u` in [0, 1) picks from a domain. */
export function drawUniform(domain: Domain, u: number): ParameterValue {
  const count = pointCount(domain);
  if (domain.kind === "range" && domain.log && (count === Number.POSITIVE_INFINITY || domain.int)) {
    // Log-uniform; an int (step 1, spaceProblems refuses log with another step) widens by half a point each side.
    const half = domain.int ? 0.5 : 0;
    const low = Math.log(domain.min - half);
    const high = Math.log(domain.max + half);
    return tidy(domain, Math.exp(low + u * (high - low)));
  }
  if (domain.kind === "range" && count === Number.POSITIVE_INFINITY) {
    return tidy(domain, domain.min + u * (domain.max - domain.min));
  }
  return pointAt(domain, Math.min(count - 1, Math.floor(u * count)));
}

/** The parameters of trial `index` of a random search seeded `seed`. */
export function randomPoint(parameters: ParameterSpec[], seed: number, index: number): Record<string, ParameterValue> {
  const point: Record<string, ParameterValue> = {};
  for (const spec of parameters) point[spec.name] = drawUniform(domainOf(spec), streamFor(seed, index, spec.name)());
  return point;
}
