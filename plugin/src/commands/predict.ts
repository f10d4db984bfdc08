// `kubectl liftoff predict`: the spec (help, flags, completion); the code is in predict-run.ts, loaded when it runs.
import type { CommandSpec } from "../cli/command.js";
import { KEY_FILE_FLAG } from "../serve/flags.js";

export const predictCommand: CommandSpec = {
  name: "predict",
  summary: "Send records to a ModelDeployment and print its predictions",
  usage: "predict MODELDEPLOYMENT (-f FILE | --record K=V,K=V ...) [--key-file FILE]",
  description:
    "Sends raw records by column name to the model (KServe V1 :predict, the raw-records path of models trained by a TrainingJob) through the Kubernetes API server's service proxy: no Ingress or port-forward needed, only the services/proxy permission.\n\n" +
    "When the ModelDeployment sets spec.auth, the API key is read from Vault at spec.auth.apiKeys with your own Vault login (VAULT_ADDR and VAULT_TOKEN, else ~/.vault-token; VAULT_CACERT for a private CA), or taken from --key-file. It travels as the X-API-Key header, because the API server drops Authorization before it proxies.\n\n" +
    "Prints each record's columns with the predicted class and its probability; -o json|yaml prints the server's answer with the prediction id (for feedback).",
  examples: [
    "# One record per --record (comma-separated column=value pairs)",
    "kubectl liftoff predict mdep/penguins --record island=Biscoe,bill_length_mm=45.1,bill_depth_mm=14.5,flipper_length_mm=215,body_mass_g=5000,sex=female",
    "# Records from a CSV file with a header row (or a JSON array of objects)",
    "kubectl liftoff predict mdep/penguins -f penguins.csv",
    "# With the API key from a file instead of Vault",
    "kubectl liftoff predict mdep/penguins -f records.json --key-file penguins.key -o json",
  ],
  flags: {
    filename: {
      type: "string",
      short: "f",
      valueName: "FILE",
      description: "Records to send: a JSON array of objects, or CSV with a header row ('-' reads stdin).",
      complete: "file",
    },
    record: {
      type: "string",
      multiple: true,
      valueName: "K=V,...",
      description: "One record as comma-separated column=value pairs; repeat for more records.",
    },
    "key-file": KEY_FILE_FLAG,
  },
  args: ["modeldeployment"],
  load: () => import("./predict-run.js"),
};
