// `kubectl liftoff tree`: the spec (help, flags, completion); the code is in tree-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const treeCommand: CommandSpec = {
  name: "tree",
  aliases: ["get"],
  summary: "The lineage tree DataSet → TrainingJob (or TrainingSearch → trials) → ModelDeployment → pods, with states",
  usage: "tree [KIND/NAME] [-A] [-o json|yaml|wide] [--watch]",
  description:
    "Shows the whole lineage of the named object, found from any node of it: the DataSet (its version digest and rows), the TrainingJobs trained on it (model digest, epochs, loss), the ModelDeployments serving their model (stable and canary tracks, the closed loop and its <name>-loop-<n> children) and their Deployments and pods. A TrainingSearch sits under its template's DataSet with its trial TrainingJobs (by index, the best starred, the ones its rule stopped early ■ Stopped) and the ModelDeployments that serve it (spec.model.trainingSearchRef). Each node has its state (Ready, Progressing, Reconciling, Stalled, Drifted, Degraded, Failed), short digest and age; the line above the tree names the failing node with its reason, message and a hint.\n\nWithout a name (or with -A) it draws a tree per root in the namespace (or in all namespaces).",
  examples: [
    "# The lineage of the penguins model, from its ModelDeployment",
    "kubectl liftoff tree mdep/penguins",
    "# The same tree, from the DataSet, redrawn live until Ctrl-C",
    "kubectl liftoff tree dset/penguins --watch",
    "# A hyperparameter search, its trials and what serves its best model",
    "kubectl liftoff tree tsearch/digits-search",
    "# Every tree in every namespace, as JSON",
    "kubectl liftoff tree -A -o json",
  ],
  flags: {
    watch: { type: "boolean", short: "w", description: "Redraw the tree as it changes, until Ctrl-C." },
  },
  args: ["liftoff"],
  load: () => import("./tree-run.js"),
};
