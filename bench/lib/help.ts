// `--help` / `-h` for the bench scripts: the script's header comment (what it measures, its knobs) printed before it
// imports anything heavy or installs anything. Each bench calls exitOnHelp first and imports the rest dynamically
// after it, since static imports run before a module's first line.
import { readFileSync } from "node:fs";
import path from "node:path";

/** The leading comment of a source file (`//` lines or one block comment), without its comment markers. */
function headerOf(source: string): string {
  const lines = source.split("\n");
  const out: string[] = [];
  if (lines[0]?.startsWith("/**")) {
    for (const line of lines.slice(1)) {
      if (line.trim().startsWith("*/")) break;
      out.push(line.replace(/^\s*\* ?/, ""));
    }
  } else {
    for (const line of lines) {
      if (!line.startsWith("//")) break;
      out.push(line.replace(/^\/\/ ?/, ""));
    }
  }
  return out.join("\n");
}

/** Prints the bench's header and exits 0 when the arguments ask for help; returns otherwise. */
export function exitOnHelp(script: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (!argv.includes("--help") && !argv.includes("-h")) return;
  const name = path.relative(path.resolve(import.meta.dirname, "../.."), script);
  process.stdout.write(`usage: tsx ${name}\n\n${headerOf(readFileSync(script, "utf8"))}\n`);
  process.exit(0);
}
