import { PluginError } from "../cli/errors.js";
import type { Invocation } from "../cli/invocation.js";
import { completionScript, SHELLS, type Shell } from "../completion/scripts.js";

export async function run(inv: Invocation): Promise<number> {
  const [shell, ...extra] = inv.positionals;
  if (shell === undefined || extra.length > 0 || !(SHELLS as readonly string[]).includes(shell)) {
    throw new PluginError(
      "Usage",
      shell === undefined
        ? "kubectl liftoff completion needs a shell"
        : `unknown shell "${[shell, ...extra].join(" ")}"`,
      `write kubectl liftoff completion ${SHELLS.join("|")}`,
    );
  }
  inv.term.write(completionScript(shell as Shell));
  return 0;
}
