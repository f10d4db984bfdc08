// What `kubectl liftoff __complete ARGS… CURRENT` answers (cobra's protocol, which kubectl ≥1.26 uses for a plugin's
// `kubectl_complete-<plugin>` and which the bash/zsh scripts call): one candidate a line (`value\tdescription`),
// then `:<directive>`. Everything static comes from the command specs (subcommands, aliases, every flag, the values
// of -o and of fixed arguments, the kinds of KIND/NAME); object names, namespaces and contexts come from a resolver
// (kubectl-names.ts asks kubectl), so a TAB never loads the Kubernetes client.
import type { CommandSpec, Completion, FlagSpec } from "../cli/command.js";
import { GLOBAL_FLAGS, OUTPUT_FORMATS } from "../cli/flags.js";
import { kindOf, LIFTOFF_KINDS, type LiftoffKindName } from "../cli/kinds.js";

/** Cobra's ShellCompDirective bits. */
export const DIRECTIVE = { default: 0, error: 1, noSpace: 2, noFileComp: 4 } as const;

interface Candidate {
  value: string;
  description?: string;
}

export interface CompletionAnswer {
  candidates: Candidate[];
  directive: number;
}

/** The cluster flags already on the line, so dynamic lookups ask the same cluster and namespace. */
export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
}

export interface Resolver {
  names(kind: LiftoffKindName, flags: ClusterFlags): Promise<string[]>;
  namespaces(flags: ClusterFlags): Promise<string[]>;
  contexts(flags: ClusterFlags): Promise<string[]>;
}

const NO_FILES = DIRECTIVE.noFileComp;

function flagTable(spec: CommandSpec | undefined): Record<string, FlagSpec> {
  return { ...GLOBAL_FLAGS, ...(spec?.flags ?? {}) };
}

function lookupFlag(token: string, flags: Record<string, FlagSpec>): { name: string; spec: FlagSpec } | undefined {
  if (token.startsWith("--")) {
    const name = token.slice(2).split("=")[0] as string;
    const spec = flags[name];
    return spec ? { name, spec } : undefined;
  }
  if (token.startsWith("-") && token.length >= 2) {
    const short = token[1];
    const hit = Object.entries(flags).find(([, f]) => f.short === short);
    return hit ? { name: hit[0], spec: hit[1] } : undefined;
  }
  return undefined;
}

interface LineState {
  spec?: CommandSpec;
  positionals: string[];
  cluster: ClusterFlags;
  /** The flag whose value the current word is (the previous word was `--flag`/`-f` without a value). */
  pendingFlag?: FlagSpec;
  afterDashDash: boolean;
}

/** Walks the words before the current one the way args.ts parses them. */
function readLine(before: readonly string[], specs: readonly CommandSpec[]): LineState {
  const state: LineState = { positionals: [], cluster: {}, afterDashDash: false };
  const setCluster = (name: string, value: string) => {
    if (name === "kubeconfig") state.cluster.kubeconfig = value;
    if (name === "context") state.cluster.context = value;
    if (name === "namespace") state.cluster.namespace = value;
  };
  for (let i = 0; i < before.length; i++) {
    const w = before[i] as string;
    if (state.afterDashDash || !w.startsWith("-") || w === "-") {
      if (!state.spec && !state.afterDashDash) {
        const spec = specs.find((s) => s.name === w || s.aliases?.includes(w));
        if (spec) {
          state.spec = spec;
          continue;
        }
      }
      state.positionals.push(w);
      continue;
    }
    if (w === "--") {
      state.afterDashDash = true;
      continue;
    }
    const flag = lookupFlag(w, flagTable(state.spec));
    if (!flag) continue;
    if (flag.name === "all-namespaces") state.cluster.allNamespaces = true;
    if (flag.spec.type !== "string") continue;
    const inline = w.startsWith("--") ? w.split("=").slice(1).join("=") : w.slice(2);
    const hasInline = w.startsWith("--") ? w.includes("=") : w.length > 2;
    if (hasInline) {
      setCluster(flag.name, inline);
    } else if (i + 1 < before.length) {
      setCluster(flag.name, before[++i] as string);
    } else {
      state.pendingFlag = flag.spec;
    }
  }
  return state;
}

function byPrefix(candidates: Candidate[], current: string): Candidate[] {
  return candidates.filter((c) => c.value.startsWith(current));
}

async function valuesOf(
  kind: Completion | undefined,
  current: string,
  cluster: ClusterFlags,
  resolver: Resolver,
): Promise<CompletionAnswer> {
  const plain = (values: readonly string[], directive: number = NO_FILES): CompletionAnswer => ({
    candidates: byPrefix(
      values.map((value) => ({ value })),
      current,
    ),
    directive,
  });
  if (kind === undefined || kind === "none") return { candidates: [], directive: NO_FILES };
  if (kind === "file") return { candidates: [], directive: DIRECTIVE.default };
  if (kind === "output") return plain(OUTPUT_FORMATS);
  if (kind === "namespace") return plain(await resolver.namespaces(cluster));
  if (kind === "context") return plain(await resolver.contexts(cluster));
  if (typeof kind === "object" && "values" in kind) return plain(kind.values);
  const slash = current.indexOf("/");
  if (slash >= 0) {
    // KIND/NAME: the names of the kind the user started to write.
    let info: (typeof LIFTOFF_KINDS)[LiftoffKindName];
    try {
      info = kindOf(current.slice(0, slash));
    } catch {
      return { candidates: [], directive: NO_FILES };
    }
    const allowed = typeof kind === "object" ? kind.kinds : kind === "liftoff" ? undefined : [kindName(kind)];
    if (allowed && !allowed.includes(info.kind)) return { candidates: [], directive: NO_FILES };
    const prefix = current.slice(0, slash + 1);
    return plain((await resolver.names(info.kind, cluster)).map((n) => prefix + n));
  }
  if (kind === "liftoff") {
    // No kind yet: offer the kinds' short names with a slash, kubectl's `get pod/<TAB>` habit.
    const kinds = Object.values(LIFTOFF_KINDS).map((k) => ({ value: `${k.short}/`, description: k.kind }));
    return { candidates: byPrefix(kinds, current), directive: NO_FILES | DIRECTIVE.noSpace };
  }
  if (typeof kind === "object") {
    // Bare names of the first kind, and the kinds' short names with a slash for the others.
    const names = (await resolver.names(kind.kinds[0], cluster)).map((value) => ({ value }));
    const kinds = kind.kinds.map((k) => ({ value: `${LIFTOFF_KINDS[k].short}/`, description: k }));
    const candidates = byPrefix([...names, ...kinds], current);
    const onlyKinds = candidates.length > 0 && candidates.every((c) => c.value.endsWith("/"));
    return { candidates, directive: onlyKinds ? NO_FILES | DIRECTIVE.noSpace : NO_FILES };
  }
  return plain(await resolver.names(kindName(kind), cluster));
}

function kindName(kind: "dataset" | "trainingjob" | "modeldeployment"): LiftoffKindName {
  return kind === "dataset" ? "DataSet" : kind === "trainingjob" ? "TrainingJob" : "ModelDeployment";
}

function flagCandidates(spec: CommandSpec | undefined, current: string): Candidate[] {
  const out: Candidate[] = [];
  for (const [name, f] of Object.entries(flagTable(spec))) {
    out.push({ value: `--${name}`, description: f.description });
    if (f.short) out.push({ value: `-${f.short}`, description: f.description });
  }
  return byPrefix(out, current);
}

/**
 * The candidates for the last word of `words` (the words after `kubectl liftoff`; the last one is the word being
 * completed, "" right after a space).
 */
export async function complete(
  words: readonly string[],
  specs: readonly CommandSpec[],
  resolver: Resolver,
): Promise<CompletionAnswer> {
  const current = words.length ? (words[words.length - 1] as string) : "";
  const state = readLine(words.slice(0, -1), specs);
  if (state.pendingFlag) return valuesOf(state.pendingFlag.complete, current, state.cluster, resolver);
  if (!state.afterDashDash && current.startsWith("--") && current.includes("=")) {
    const flag = lookupFlag(current, flagTable(state.spec));
    if (flag?.spec.type !== "string") return { candidates: [], directive: NO_FILES };
    const head = current.slice(0, current.indexOf("=") + 1);
    const answer = await valuesOf(flag.spec.complete, current.slice(head.length), state.cluster, resolver);
    return { ...answer, candidates: answer.candidates.map((c) => ({ ...c, value: head + c.value })) };
  }
  if (!state.afterDashDash && current.startsWith("-")) {
    return { candidates: flagCandidates(state.spec, current), directive: NO_FILES };
  }
  if (!state.spec) {
    const cmds: Candidate[] = [];
    for (const s of specs) {
      cmds.push({ value: s.name, description: s.summary });
      for (const a of s.aliases ?? []) cmds.push({ value: a, description: s.summary });
    }
    return { candidates: byPrefix(cmds, current), directive: NO_FILES };
  }
  const args = state.spec.args ?? [];
  if (args.length === 0) return { candidates: [], directive: NO_FILES };
  const kind = args[Math.min(state.positionals.length, args.length - 1)];
  return valuesOf(kind, current, state.cluster, resolver);
}

/** Cobra's wire format: `value\tdescription` lines, then `:directive`. */
export function formatAnswer(answer: CompletionAnswer): string {
  const lines = answer.candidates.map((c) =>
    c.description ? `${c.value}\t${c.description.replace(/\s+/g, " ")}` : c.value,
  );
  return [...lines, `:${answer.directive}`].join("\n");
}
