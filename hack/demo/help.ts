// `npm start -- --help` prints hack/demo/help.txt, which this renders from the step lists (hack/demo/plan.ts) and
// the flags (cli.ts): the steps import the cluster, operator, DuckDB and AWS clients, 5.5 s of loading at load
// average 7, so the help comes from the file and a test keeps it equal to what this renders (issue #31).
// `npx tsx hack/demo/help.ts` writes it again.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { helpText } from "./cli.js";

export const HELP_FILE = join(import.meta.dirname, "help.txt");

/** The help text as the plan renders it. */
export async function renderHelp(): Promise<string> {
  const { DEMO_STEPS, IMAGE_STEPS, LLM_STEPS, LOOP_STEPS } = await import("./plan.js");
  return `${helpText(DEMO_STEPS, IMAGE_STEPS, LLM_STEPS, LOOP_STEPS)}\n`;
}

if (process.argv[1] === import.meta.filename) writeFileSync(HELP_FILE, await renderHelp());
