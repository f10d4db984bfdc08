import { applyEdit } from "../canary/apply.js";
import { promoteEdit } from "../canary/patch.js";
import type { Invocation } from "../cli/invocation.js";

export async function run(inv: Invocation): Promise<number> {
  return applyEdit(inv, { command: "promote", edit: promoteEdit, gitOwned: true });
}
