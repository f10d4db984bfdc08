// `kubectl liftoff version`: the plugin's version and, when a cluster answers, the API server's.
import type { CommandSpec } from "../cli/command.js";

export const versionCommand: CommandSpec = {
  name: "version",
  summary: "Print the plugin's version (and the cluster's, when one answers)",
  usage: "version [--client]",
  flags: { client: { type: "boolean", description: "Only the plugin's version; do not contact the cluster." } },
  load: () => import("./version-run.js"),
};
