// One parameter's domain in the form the algorithms use: a list of choices (categorical, or a numeric `values`) or a
// numeric range, linear or logarithmic, continuous or discrete (a step; an int range is discrete with step 1).
// spaceProblems (problems.ts) refuses the specs domainOf cannot read, so the reconciler checks those first.

import type { ParameterSpec, ParameterValue } from "./types.js";

export type Domain =
  | { kind: "choice"; values: readonly ParameterValue[] }
  | {
      kind: "range";
      int: boolean;
      min: number;
      max: number;
      log: boolean;
      /** The distance between neighbouring points; absent for a continuous float range. */
      step?: number;
    };

export function domainOf(spec: ParameterSpec): Domain {
  if ("categorical" in spec) return { kind: "choice", values: spec.categorical.values };
  const int = "int" in spec;
  const range = "int" in spec ? spec.int : spec.float;
  if (range.values !== undefined) return { kind: "choice", values: range.values };
  if (range.min === undefined || range.max === undefined) {
    throw new Error(`parameter ${spec.name}: a range needs min and max, or values`);
  }
  const step = range.step ?? (int ? 1 : undefined);
  return {
    kind: "range",
    int,
    min: range.min,
    max: range.max,
    log: range.log ?? false,
    ...(step === undefined ? {} : { step }),
  };
}

/** The number of points of a discrete range; Infinity for a continuous one. */
export function pointCount(domain: Domain): number {
  if (domain.kind === "choice") return domain.values.length;
  if (domain.step === undefined) return Number.POSITIVE_INFINITY;
  // The small slack keeps max itself when (max - min) / step lands a rounding error below an integer (0.3 / 0.1).
  return Math.floor((domain.max - domain.min) / domain.step + 1e-9) + 1;
}

/** The k-th point (0-based) of a discrete domain. */
export function pointAt(domain: Domain, k: number): ParameterValue {
  if (domain.kind === "choice") return domain.values[k] as ParameterValue;
  return tidy(domain, domain.min + k * (domain.step ?? 0));
}

/** A range value as the trial gets it: an int rounded, a float without the binary noise of min + k·step (0.30000000000000004). */
export function tidy(domain: Domain & { kind: "range" }, x: number): number {
  const clamped = Math.min(domain.max, Math.max(domain.min, x));
  return domain.int ? Math.round(clamped) : Number(clamped.toPrecision(12));
}
