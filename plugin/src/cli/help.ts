// Help text from the specs alone (no command code is loaded), in kubectl's layout.
import type { CommandSpec, FlagSpec } from "./command.js";
import { GLOBAL_FLAGS } from "./flags.js";

function flagLines(flags: Readonly<Record<string, FlagSpec>>): string[] {
  const rows = Object.entries(flags).map(([name, f]) => {
    const short = f.short ? `-${f.short}, ` : "    ";
    const value = f.type === "string" ? ` ${f.valueName ?? "VALUE"}` : "";
    return [`  ${short}--${name}${value}`, f.description] as const;
  });
  const width = Math.max(...rows.map(([l]) => l.length));
  return rows.map(([l, d]) => `${l.padEnd(width)}   ${d}`);
}

export function commandHelp(spec: CommandSpec): string {
  const out: string[] = [spec.summary, ""];
  if (spec.description) out.push(spec.description.trim(), "");
  if (spec.aliases?.length) out.push(`Aliases: ${[spec.name, ...spec.aliases].join(", ")}`, "");
  out.push("Usage:", `  kubectl liftoff ${spec.usage}`, "");
  if (spec.examples?.length) out.push("Examples:", ...spec.examples.map((e) => `  ${e}`), "");
  if (spec.flags && Object.keys(spec.flags).length) out.push("Options:", ...flagLines(spec.flags), "");
  out.push("Global options:", ...flagLines(GLOBAL_FLAGS));
  return out.join("\n");
}

export function rootHelp(specs: readonly CommandSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length));
  return [
    "kubectl liftoff shows Liftoff's DataSets, TrainingJobs and ModelDeployments at a glance: the lineage tree, training",
    "curves, drift, predictions, canary promotion and a support bundle.",
    "",
    "Commands:",
    ...specs.map((s) => `  ${s.name.padEnd(width)}   ${s.summary}`),
    "",
    "Usage:",
    "  kubectl liftoff COMMAND [options]",
    "",
    'Use "kubectl liftoff COMMAND --help" for more about a command.',
    "",
    "Global options:",
    ...flagLines(GLOBAL_FLAGS),
  ].join("\n");
}
