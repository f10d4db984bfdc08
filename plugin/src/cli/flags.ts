// kubectl's global flags, accepted before or after the subcommand (kubectl passes them through to plugins).
import type { FlagSpec } from "./command.js";

export const GLOBAL_FLAGS: Readonly<Record<string, FlagSpec>> = {
  kubeconfig: {
    type: "string",
    valueName: "FILE",
    description: "Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).",
    complete: "file",
  },
  context: { type: "string", valueName: "NAME", description: "The kubeconfig context to use.", complete: "context" },
  namespace: {
    type: "string",
    short: "n",
    valueName: "NAMESPACE",
    description: "The namespace (default: the context's, then default).",
    complete: "namespace",
  },
  "all-namespaces": { type: "boolean", short: "A", description: "List across all namespaces." },
  output: {
    type: "string",
    short: "o",
    valueName: "FORMAT",
    description: "Output format: json, yaml or wide (default: a human view).",
    complete: "output",
  },
  "request-timeout": {
    type: "string",
    valueName: "DURATION",
    description: "How long to wait for one API answer, e.g. 10s or 1m (default 30s).",
  },
  help: { type: "boolean", short: "h", description: "Show help for the command." },
};

export const OUTPUT_FORMATS = ["json", "yaml", "wide"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
