// `kubectl liftoff promote`: the spec (help, flags, completion); the code is in promote-run.ts, loaded when it runs.
import { CANARY_EDIT_FLAGS } from "../canary/flags.js";
import type { CommandSpec } from "../cli/command.js";

export const promoteCommand: CommandSpec = {
  name: "promote",
  summary: "Promote a ModelDeployment's canary: its model into spec.model, the canary removed",
  usage: "promote MODELDEPLOYMENT [--dry-run] [--force] [--wait [--timeout 5m]]",
  description:
    'One JSON merge patch, as docs/modeldeployment.md "Promote a canary" says. A ModelDeployment that Argo CD or Flux manages is not patched (the next sync would revert it): the manifest to commit to Git is printed instead and the command fails, unless --force. A closed-loop canary (spec.retrain) is decided by the loop itself and has no manual promote.',
  examples: [
    "# See the patch without applying it",
    "kubectl liftoff promote mdep/penguins --dry-run",
    "# Apply it and wait until the ModelDeployment is Ready again",
    "kubectl liftoff promote mdep/penguins --wait",
  ],
  flags: CANARY_EDIT_FLAGS,
  args: ["modeldeployment"],
  load: () => import("./promote-run.js"),
};
