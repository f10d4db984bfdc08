// `npm start -- [flags]`: the demo's flags and help text (pure).
import { parseArgs } from "node:util";

export interface DemoOptions {
  /** Encrypt the DataSet's output with the OpenBao transit key (default on). */
  encryption: boolean;
  /** Leave the local cluster running when the demo exits or is stopped. */
  keepCluster: boolean;
  /** Use the cluster in $KUBECONFIG (kind, or any cluster with Liftoff installed) instead of the local one. */
  reuseCluster: boolean;
  /** Wipe the local cluster's state first. */
  fresh: boolean;
  /** Namespace the demo's objects go to. */
  namespace: string;
  /** Exit after the last step instead of waiting for Ctrl-C. */
  exit: boolean;
}

export type Parsed = { help: true } | { help: false; options: DemoOptions };

export class UsageError extends Error {}

export interface StepInfo {
  name: string;
  title: string;
}

export function parseDemoArgs(argv: string[]): Parsed {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        "no-encryption": { type: "boolean" },
        "keep-cluster": { type: "boolean" },
        "reuse-cluster": { type: "boolean" },
        fresh: { type: "boolean" },
        namespace: { type: "string" },
        exit: { type: "boolean" },
      },
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}; npm start -- --help lists the flags`);
  }
  if (values.help) return { help: true };
  const namespace = (values.namespace as string | undefined) ?? "liftoff-demo";
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new UsageError(`--namespace "${namespace}" is not a valid namespace name (lowercase letters, digits, '-')`);
  }
  if (values["reuse-cluster"] && values.fresh) {
    throw new UsageError("--fresh wipes the local cluster; it cannot be combined with --reuse-cluster");
  }
  return {
    help: false,
    options: {
      encryption: !values["no-encryption"],
      keepCluster: Boolean(values["keep-cluster"]),
      reuseCluster: Boolean(values["reuse-cluster"]),
      fresh: Boolean(values.fresh),
      namespace,
      exit: Boolean(values.exit),
    },
  };
}

export function helpText(steps: StepInfo[]): string {
  const width = Math.max(...steps.map((s) => s.name.length));
  return [
    "npm start [-- flags]: Liftoff's main job on this machine, from raw data to a secured, monitored model.",
    "",
    "Steps, in order (each prints what it does and how long it took):",
    ...steps.map((s, i) => `  ${String(i + 1).padStart(2)}. ${s.name.padEnd(width)}  ${s.title}`),
    "",
    "Flags:",
    "  --no-encryption   store the prepared DataSet unencrypted (skips the OpenBao transit key)",
    "  --keep-cluster    leave the local cluster running after Ctrl-C (npm run cluster:down stops it)",
    "  --reuse-cluster   use the cluster in $KUBECONFIG, with Liftoff already installed (kind: hack/kind/),",
    "                    instead of starting the local one; nothing in that cluster is stopped afterwards",
    "  --fresh           wipe the local cluster's state (.liftoff/local) first",
    "  --namespace NAME  namespace for the demo's objects (default liftoff-demo)",
    "  --exit            exit after the last step instead of waiting for Ctrl-C",
    "  -h, --help        this text",
    "",
    "Ctrl-C at any step stops everything the demo started, by PID.",
  ].join("\n");
}
