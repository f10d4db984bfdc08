// `kubectl liftoff drift`: the spec (help, flags, completion); the code is in drift-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";
import { KEY_FILE_FLAG } from "../serve/flags.js";

export const driftCommand: CommandSpec = {
  name: "drift",
  summary: "Per-feature drift of a ModelDeployment against its DataSet's baseline, and live quality",
  usage: "drift MODELDEPLOYMENT [--track stable|canary] [--key-file FILE]",
  description:
    "Reads each ready serving pod's monitoring snapshot (bin counts over the sliding window, and the training data's share of each bin) through the API server's pods proxy, merges them as the operator does, and shows per feature the baseline and live histograms side by side with the population-stability index (PSI) and the Jensen-Shannon distance, worst first, against spec.monitoring.drift.threshold. With feedback, the live accuracy and macro precision/recall/F1 with a per-class table.\n\n" +
    "The snapshot needs the model's API key when spec.auth is set: from Vault with your own login (VAULT_ADDR and VAULT_TOKEN, else ~/.vault-token), or --key-file. -o json|yaml prints the figures; -o wide adds each feature's rows and bin labels.",
  examples: [
    "# Drift of the stable pods, worst feature first",
    "kubectl liftoff drift mdep/penguins",
    "# The canary's pods, as JSON",
    "kubectl liftoff drift mdep/penguins --track canary -o json",
  ],
  flags: {
    track: {
      type: "string",
      valueName: "TRACK",
      description: "Which pods: stable (default) or canary.",
      complete: { values: ["stable", "canary"] },
    },
    "key-file": KEY_FILE_FLAG,
  },
  args: ["modeldeployment"],
  load: () => import("./drift-run.js"),
};
