// `npm run reliability`: the fault suite (issue #24). Faults run one after another against Liftoff on a local
// cluster under steady load (hack/reliability/faults/, one per file) and one table says what survived; the exit
// status is 1 when a fault missed its target. `--help` answers at once: everything else is imported after it.
import { HELP, parseReliabilityArgs, UsageError } from "./reliability/cli.js";

const log = (line: string) => console.error(line);

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseReliabilityArgs>;
  try {
    parsed = parseReliabilityArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      log(`reliability: ${err.message}`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    console.log(HELP);
    return 0;
  }
  const { runSuite } = await import("./reliability/suite.js");
  return runSuite(parsed.options, log);
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`reliability: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
