// `tsx hack/lint-yaml.ts`: lints every YAML file in the working tree (hack/lint/yaml.ts says what it rejects) and
// prints file:line: message for each problem. The chart's templates are Go templates, not YAML: `helm lint`
// (hack/lint-chart.sh) renders and checks them.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { exitOnHelp } from "../bench/lib/help.js";
import { REPO_ROOT } from "../devcluster/cluster/config.js";
import { lintYaml } from "./lint/yaml.js";

exitOnHelp(import.meta.filename);

const files = execFileSync(
  "git",
  ["ls-files", "--cached", "--others", "--exclude-standard", "--", "*.yaml", "*.yml", ":!:charts/*/templates/*"],
  { cwd: REPO_ROOT, encoding: "utf8" },
)
  .split("\n")
  .filter(Boolean);

let count = 0;
for (const file of files) {
  for (const p of lintYaml(readFileSync(join(REPO_ROOT, file), "utf8"))) {
    console.error(`${file}:${p.line}: ${p.message}`);
    count++;
  }
}
if (count > 0) {
  console.error(`lint-yaml: ${count} problem(s) in ${files.length} YAML files`);
  process.exit(1);
}
console.log(`lint-yaml: ${files.length} YAML files OK`);
