import { applyEdit } from "../canary/apply.js";
import { retrainEdit } from "../canary/patch.js";
import type { Invocation } from "../cli/invocation.js";

export async function run(inv: Invocation): Promise<number> {
  // A new value each time (the loop acts once per distinct value): the time, readable in status.loop.manualToken.
  const token = new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  return applyEdit(inv, { command: "retrain", edit: (m) => retrainEdit(m, token), gitOwned: false });
}
