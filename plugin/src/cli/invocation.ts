// What a running command gets: its positionals and flags, the terminal, and the cluster (connected on first use).
import type { FlagValues } from "./args.js";
import { outputFormat, parseDuration } from "./args.js";
import type { CommandSpec } from "./command.js";
import type { OutputFormat } from "./flags.js";
import type { Kube } from "./kube.js";
import type { Terminal } from "./terminal.js";

export interface Invocation {
  spec: CommandSpec;
  positionals: string[];
  flags: FlagValues;
  term: Terminal;
  env: NodeJS.ProcessEnv;
  /** -o: undefined for the human view. */
  output: OutputFormat | undefined;
  /** -A */
  allNamespaces: boolean;
  /** The cluster connection; the first call loads the client and reads the kubeconfig. */
  kube(): Promise<Kube>;
  /** Resolves when the user presses Ctrl-C (SIGINT) or SIGTERM arrives: --watch loops stop on it. */
  readonly stopped: Promise<void>;
  isStopped(): boolean;
}

export function stringFlag(flags: FlagValues, name: string): string | undefined {
  const v = flags[name];
  return typeof v === "string" ? v : undefined;
}

export function boolFlag(flags: FlagValues, name: string): boolean {
  return flags[name] === true;
}

export function stringsFlag(flags: FlagValues, name: string): string[] {
  const v = flags[name];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  return typeof v === "string" ? [v] : [];
}

let interruptedFlag = false;
let interruption: Promise<void> | undefined;

/**
 * Resolves on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed on first use, once per process: only commands
 * that wait (--watch) ask, so Ctrl-C still ends every other command the default way, at once.
 */
function interrupted(): Promise<void> {
  interruption ??= new Promise<void>((resolve) => {
    const stop = () => {
      interruptedFlag = true;
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  return interruption;
}

export function createInvocation(
  spec: CommandSpec,
  positionals: string[],
  flags: FlagValues,
  term: Terminal,
  env: NodeJS.ProcessEnv,
): Invocation {
  let kube: Promise<Kube> | undefined;

  const output = outputFormat(flags);
  const timeout = stringFlag(flags, "request-timeout");
  const requestTimeoutMs = timeout === undefined ? undefined : parseDuration(timeout, "request-timeout");
  return {
    spec,
    positionals,
    flags,
    term,
    env,
    output,
    allNamespaces: boolFlag(flags, "all-namespaces"),
    get stopped() {
      return interrupted();
    },
    isStopped: () => interruptedFlag,
    kube() {
      kube ??= import("./kube.js").then(({ Kube }) => {
        const opts = {
          ...(stringFlag(flags, "kubeconfig") !== undefined ? { kubeconfig: stringFlag(flags, "kubeconfig") } : {}),
          ...(stringFlag(flags, "context") !== undefined ? { context: stringFlag(flags, "context") } : {}),
          ...(stringFlag(flags, "namespace") !== undefined ? { namespace: stringFlag(flags, "namespace") } : {}),
          ...(requestTimeoutMs !== undefined ? { requestTimeoutMs } : {}),
        } as import("./kube.js").KubeOptions;
        return Kube.connect(opts, env);
      });
      return kube;
    },
  };
}
