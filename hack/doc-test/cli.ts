// `npx tsx hack/doc-test/cli.ts [--cluster NAME] PAGE.md…`: run pages' shell blocks by hand, as the integration test
// test/integration/docs.test.ts does (on the "local" cluster unless told otherwise). Exit 1 when a block fails.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { describeResults, runPage } from "./run.js";

const { values, positionals } = parseArgs({ options: { cluster: { type: "string" } }, allowPositionals: true });
let failed = false;
for (const file of positionals) {
  const results = await runPage(readFileSync(file, "utf8"), {
    repoRoot: REPO_ROOT,
    cluster: values.cluster ?? "local",
    env: process.env,
    log: (line) => console.error(`${file}: ${line}`),
  });
  for (const line of describeResults(file, results)) console.log(line);
  for (const r of results.filter((r) => r.outcome === "failed")) {
    failed = true;
    console.log(`--- output of ${file}:${r.line}\n${r.output ?? ""}---`);
  }
}
process.exit(failed ? 1 : 0);
