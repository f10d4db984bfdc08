// The self-contained executable for krew: Node's single-executable application (SEA) support. The bundle becomes
// the SEA's main script, the chart's wasm and font become SEA assets (plugin/src/cli/assets.ts reads them with
// node:sea's getAsset), and postject injects the blob into a copy of the node binary running this build.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

/** The fuse Node's SEA loader looks for (Node's docs, "Single executable applications"). */
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

/** The main script's name inside the blob. */
const MAIN = "kubectl-liftoff.cjs";

export interface SeaInput {
  bundle: string;
  assets: readonly { name: string; path: string }[];
  workDir: string;
  /** V8's code cache in the blob (bench/plugin.ts measures what it saves; it makes the bytes differ per build). */
  codeCache?: boolean;
  /** The executable to write. */
  out: string;
}

export function buildSea(input: SeaInput): string {
  mkdirSync(input.workDir, { recursive: true });
  const blob = join(input.workDir, "sea-prep.blob");
  const config = join(input.workDir, "sea-config.json");
  // The blob records the main script's path as given: a copy in the work folder, named relative to it (node runs in
  // that folder), so the archive's bytes do not depend on where the checkout is.
  copyFileSync(input.bundle, join(input.workDir, MAIN));
  writeFileSync(
    config,
    `${JSON.stringify(
      {
        main: MAIN,
        output: "sea-prep.blob",
        disableExperimentalSEAWarning: true,
        useCodeCache: input.codeCache ?? false,
        assets: Object.fromEntries(input.assets.map((a) => [a.name, a.path])),
      },
      null,
      2,
    )}\n`,
  );
  execFileSync(process.execPath, ["--experimental-sea-config", config], {
    cwd: input.workDir,
    stdio: ["ignore", "ignore", "inherit"],
  });
  copyFileSync(process.execPath, input.out);
  chmodSync(input.out, 0o755);
  const postject = createRequire(import.meta.url).resolve("postject/dist/cli.js");
  // postject warns about every ELF note section it cannot name (harmless, dozens of lines): shown only on failure.
  const r = spawnSync(process.execPath, [postject, input.out, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE], {
    encoding: "utf8",
  });
  if (r.status !== 0)
    throw new Error(`postject failed (exit ${r.status}): ${r.stderr.trim().split("\n").slice(-5).join("\n")}`);
  return input.out;
}
