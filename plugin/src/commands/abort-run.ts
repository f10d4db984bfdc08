import { applyEdit } from "../canary/apply.js";
import { abortEdit } from "../canary/patch.js";
import type { Invocation } from "../cli/invocation.js";

export async function run(inv: Invocation): Promise<number> {
  return applyEdit(inv, { command: "abort", edit: abortEdit, gitOwned: true });
}
