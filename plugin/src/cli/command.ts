// What a subcommand declares. The registry (commands/index.ts) holds only these specs; a command's code is imported
// when it runs (load), so `--help` and completion never load the Kubernetes client: both answer from the spec alone.
import type { Invocation } from "./invocation.js";
import type { LiftoffKindName } from "./kinds.js";

/** What the completion scripts offer for a flag's value or a positional argument. */
export type Completion =
  | "none"
  | "file"
  | "namespace"
  | "context"
  | "output"
  | "dataset"
  | "trainingjob"
  | "modeldeployment"
  | "liftoff"
  | { values: readonly string[] }
  /** KIND/NAME of any of these kinds; a bare name is one of the first. */
  | { kinds: readonly [LiftoffKindName, ...LiftoffKindName[]] };

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** The value's name in the help text (`--png FILE`). */
  valueName?: string;
  description: string;
  complete?: Completion;
}

export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  /** One line for the command list. */
  summary: string;
  /** After `kubectl liftoff `: `curves TRAININGJOB [--watch] [--png FILE]`. */
  usage: string;
  /** Paragraphs for `--help`. */
  description?: string;
  /** `kubectl liftoff …` lines, each with a `# comment` line before it. */
  examples?: readonly string[];
  /** This command's own flags (the global ones are in flags.ts). */
  flags?: Readonly<Record<string, FlagSpec>>;
  /** What the positional arguments complete to, in order (the last repeats). */
  args?: readonly Completion[];
  /** Subcommands (`completion bash|zsh`) are positionals with fixed values: list them in args. */
  load: () => Promise<CommandModule>;
}

export interface CommandModule {
  /** Runs the command; resolves to its exit code (0 when omitted). Throws PluginError for a failure. */
  run(inv: Invocation): Promise<number | undefined>;
}
