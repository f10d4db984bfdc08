// `kubectl liftoff report`: the spec (help, flags, completion); the code is in report-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";

export const reportCommand: CommandSpec = {
  name: "report",
  summary: "Write a support bundle (objects, Events, logs, versions; secrets redacted) to a zip",
  usage: "report KIND/NAME [-f FILE.zip | --output-dir DIR] [--tail N]",
  description:
    "Collects what a support request needs about one Liftoff object into a zip, like CloudNativePG's `kubectl cnpg report`: the object and its lineage (DataSet <-> TrainingJob <-> ModelDeployment), their children (Deployments, ReplicaSets, Pods, Jobs, Services, PDBs, HPAs, NetworkPolicies, ConfigMaps), their Events, the pods' logs, the operator's logs when it runs in the cluster, and the versions of the plugin, the server, the operator and the CRDs.\n\n" +
    "Nothing secret is written: Secret values, service-account tokens, env values with secret-like names, bearer and Vault tokens, API keys (read from Vault with your login, VAULT_ADDR and VAULT_TOKEN or ~/.vault-token, so the exact keys are scrubbed; by pattern otherwise) and the values of DataSet columns marked pii are replaced by <redacted>. README.txt in the zip says what is inside, redactions.txt how many values of each class were removed. Read the bundle before you share it.",
  examples: [
    "# Write liftoff-report-modeldeployment-penguins-<time>.zip in the current folder",
    "kubectl liftoff report mdep/penguins -n demo",
    "# Choose the file, and keep the last 500 log lines of each container",
    "kubectl liftoff report tj/penguins -f /tmp/penguins.zip --tail 500",
  ],
  flags: {
    file: {
      type: "string",
      short: "f",
      valueName: "FILE",
      description: "The zip to write (default: liftoff-report-<kind>-<name>-<UTC time>.zip in --output-dir).",
      complete: "file",
    },
    "output-dir": {
      type: "string",
      valueName: "DIR",
      description: "The folder for the default file name (default: the current folder).",
      complete: "file",
    },
    tail: {
      type: "string",
      valueName: "N",
      description: "Lines of each container's log to keep (default 2000).",
    },
  },
  args: ["liftoff"],
  load: () => import("./report-run.js"),
};
