// Grid search: the cartesian product of every parameter's points, in parameter order with the last parameter
// varying fastest (as a nested loop reads, and as sklearn's ParameterGrid orders it). A point is computed from its
// index (mixed-radix digits), so trial `index` needs no list of the points before it.

import { domainOf, pointAt, pointCount } from "./space.js";
import type { ParameterSpec, ParameterValue } from "./types.js";

/** How many trials the space has (grid: the product of the points; Infinity when any range is continuous). */
export function gridSize(parameters: ParameterSpec[]): number {
  return parameters.reduce((size, spec) => size * pointCount(domainOf(spec)), 1);
}

/** The index-th point of the grid (0-based); undefined past its end or when a range is continuous. */
export function gridPoint(parameters: ParameterSpec[], index: number): Record<string, ParameterValue> | undefined {
  const size = gridSize(parameters);
  if (!Number.isFinite(size) || !Number.isInteger(index) || index < 0 || index >= size) return undefined;
  const point: Record<string, ParameterValue> = {};
  let rest = index;
  for (let i = parameters.length - 1; i >= 0; i--) {
    const spec = parameters[i] as ParameterSpec;
    const domain = domainOf(spec);
    const count = pointCount(domain);
    point[spec.name] = pointAt(domain, rest % count);
    rest = Math.floor(rest / count);
  }
  // Keys in parameter order, as the spec lists them (the loop filled them last first).
  return Object.fromEntries(parameters.map((spec) => [spec.name, point[spec.name] as ParameterValue]));
}
