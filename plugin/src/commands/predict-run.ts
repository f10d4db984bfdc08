import { PluginError } from "../cli/errors.js";
import type { Invocation } from "../cli/invocation.js";

export async function run(_inv: Invocation): Promise<number> {
  throw new PluginError("Internal", "kubectl liftoff predict is not built yet");
}
