// Bundles the kubectl plugin (plugin/src) into one CommonJS file with no runtime dependencies,
// plugin/dist/kubectl-liftoff.cjs (the npm package's bin), and links plugin/dist/bin/kubectl-liftoff to it so a PATH
// entry makes `kubectl liftoff` work from the checkout. The self-contained executable for krew is built from the
// same bundle (docs/kubectl-plugin.md).
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PLUGIN_DIR = join(ROOT, "plugin");
export const PLUGIN_BUNDLE = join(PLUGIN_DIR, "dist", "kubectl-liftoff.cjs");
export const PLUGIN_BIN_DIR = join(PLUGIN_DIR, "dist", "bin");

export async function buildPlugin(): Promise<string> {
  const { version } = JSON.parse(readFileSync(join(PLUGIN_DIR, "package.json"), "utf8")) as { version: string };
  await build({
    entryPoints: [join(PLUGIN_DIR, "src", "main.ts")],
    outfile: PLUGIN_BUNDLE,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    minifySyntax: true,
    legalComments: "none",
    logLevel: "warning",
    define: { LIFTOFF_PLUGIN_VERSION: JSON.stringify(version) },
  });
  chmodSync(PLUGIN_BUNDLE, 0o755);
  mkdirSync(PLUGIN_BIN_DIR, { recursive: true });
  const link = join(PLUGIN_BIN_DIR, "kubectl-liftoff");
  rmSync(link, { force: true });
  symlinkSync("../kubectl-liftoff.cjs", link);
  return PLUGIN_BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const out = await buildPlugin();
  console.error(`build-plugin: ${out} in ${Date.now() - started} ms`);
}
