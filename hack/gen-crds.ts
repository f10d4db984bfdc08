// `npm run gen`: writes crds/*.yaml and config/crd/ from the TypeScript API (the one source of truth), the operator's
// ClusterRole (config/rbac/role.yaml) from the kind registry, and the chart's copies of both.
// `npm run gen -- --check` exits 1 when a committed file is stale.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { exitOnHelp } from "../bench/lib/help.js";

exitOnHelp(fileURLToPath(import.meta.url));
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const check = process.argv.includes("--check");
const stale: string[] = [];

function sync(files: Map<string, string>): void {
  for (const [path, content] of files) {
    const file = join(root, path);
    let current: string | undefined;
    try {
      current = readFileSync(file, "utf8");
    } catch {
      current = undefined;
    }
    if (current === content || stale.includes(path)) continue;
    if (check) {
      stale.push(path);
    } else {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
      console.log(`wrote ${path}`);
    }
  }
}

const { renderGeneratedFiles } = await import("./gen-crds-lib.js");
sync(renderGeneratedFiles());
if (stale.length > 0) {
  console.error(`gen: stale generated files (run npm run gen): ${stale.join(", ")}`);
  process.exit(1);
}
