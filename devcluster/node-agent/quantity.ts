// Kubernetes resource quantities ("500m", "2Gi", "1e3") as plain numbers (pure); the parser is the operator's,
// this wrapper turns "not a quantity" into an error for the agent's config and env handling.
import { parseQuantity as parseOrUndefined } from "../../operator/src/kube/quantity.js";

export function parseQuantity(text: string | number): number {
  const n = parseOrUndefined(text);
  if (n === undefined) throw new Error(`invalid quantity "${text}"`);
  return n;
}
