// Parses a command line against the global flags and one command's flags, the way kubectl does: flags anywhere,
// `--flag=value`, `--flag value`, `-n ns`, `-nns`, `-ojson`; `--` ends the flags.
import { parseArgs } from "node:util";
import type { CommandSpec, FlagSpec } from "./command.js";
import { PluginError } from "./errors.js";
import { GLOBAL_FLAGS, OUTPUT_FORMATS, type OutputFormat } from "./flags.js";

export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface ParsedLine {
  positionals: string[];
  flags: FlagValues;
}

type ParseOptions = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function toOptions(flags: Readonly<Record<string, FlagSpec>>): ParseOptions {
  const out: NonNullable<ParseOptions> = {};
  for (const [name, f] of Object.entries(flags)) {
    out[name] = { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) };
  }
  return out;
}

/** Splits the subcommand's name off: the first argument that is not a global flag or its value. */
export function splitCommand(argv: readonly string[]): { name?: string; rest: string[] } {
  const rest = [...argv];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === "--") return { rest };
    if (!a.startsWith("-")) {
      rest.splice(i, 1);
      return { name: a, rest };
    }
    const longName = a.startsWith("--") ? a.slice(2) : undefined;
    const spec = longName ? GLOBAL_FLAGS[longName] : Object.values(GLOBAL_FLAGS).find((f) => f.short === a.slice(1));
    // A value-taking global flag in its two-word form: skip its value.
    if (spec?.type === "string" && !a.includes("=")) i++;
  }
  return { rest };
}

export function parseLine(spec: CommandSpec | undefined, argv: readonly string[]): ParsedLine {
  const flags = { ...GLOBAL_FLAGS, ...(spec?.flags ?? {}) };
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: toOptions(flags),
      allowPositionals: true,
      strict: true,
    });
    return { positionals, flags: values as FlagValues };
  } catch (err) {
    const where = spec ? `kubectl liftoff ${spec.name} --help` : "kubectl liftoff --help";
    throw new PluginError("Usage", parseArgsMessage(err as Error & { code?: string }), `${where} lists the flags`);
  }
}

/** node:util's parseArgs messages in kubectl's words (its unknown-flag one also explains `--` at length). */
function parseArgsMessage(err: Error & { code?: string }): string {
  const option = /'(-[^' ]*)/.exec(err.message)?.[1];
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) return `unknown flag: ${option}`;
  const long = /--([\w-]+) <value>' argument missing/.exec(err.message)?.[1];
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && long) return `flag needs an argument: --${long}`;
  return err.message.replace(/\.$/, "");
}

export function outputFormat(flags: FlagValues): OutputFormat | undefined {
  const o = flags.output;
  if (o === undefined) return undefined;
  if (typeof o !== "string" || !(OUTPUT_FORMATS as readonly string[]).includes(o)) {
    throw new PluginError("Usage", `unknown output format "${String(o)}"`, `use -o ${OUTPUT_FORMATS.join("|")}`);
  }
  return o as OutputFormat;
}

/** `30s`, `2m`, `1h`, `500ms` or a bare number of seconds → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new PluginError("Usage", `--${flag} "${text}" is not a duration`, "write e.g. 30s, 2m or 1h");
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"];
}
