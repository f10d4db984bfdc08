// Decides whether a live object already holds everything the operator declares, so an unchanged reconcile
// makes no write. Extra fields on the live object (server defaults, other managers) are fine; quantities are
// compared by value ("0.5" == "500m", 1 == "1"). One exception: a label map under `selector` (a Service's) must
// match exactly, since a key the operator drops (the track, when a canary joins the shared Service) must go.
import { parseQuantity } from "./quantity.js";

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function quantityEqual(a: unknown, b: unknown): boolean {
  const qa = parseQuantity(a);
  const qb = parseQuantity(b);
  return qa !== undefined && qb !== undefined && Math.abs(qa - qb) <= Math.abs(qa) * 1e-9;
}

/** A plain label map (every value a string): what a Service's spec.selector is. */
function isLabelMap(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.values(v).every((x) => typeof x === "string");
}

/** True when every field in `desired` equals the same field in `live`, recursively; lists must match in length. */
export function isSubset(desired: unknown, live: unknown, inQuantities = false): boolean {
  if (isObject(desired)) {
    if (!isObject(live)) return false;
    return Object.entries(desired).every(([k, v]) => {
      if (v === undefined) return true;
      if (k === "selector" && isLabelMap(v)) {
        const l = live[k];
        return isLabelMap(l) && Object.keys(l).length === Object.keys(v).length && isSubset(v, l);
      }
      const quantities = inQuantities || k === "requests" || k === "limits" || k === "capacity";
      return isSubset(v, live[k], quantities);
    });
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return false;
    return desired.every((d, i) => isSubset(d, live[i]));
  }
  if (desired === live) return true;
  return inQuantities && quantityEqual(desired, live);
}
