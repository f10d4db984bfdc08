// Reads one of pluginAssets() at run time: next to the bundle (where the build copies them), else from
// node_modules (running from source, or a bundle built before the copy existed). One small function, so the
// single-executable loader (node:sea getAsset) can take its place.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PluginError } from "../cli/errors.js";
import { pluginAssets } from "./assets.js";

/** The folder of the running bundle (CommonJS defines __dirname; an ES module run from source does not). */
function bundleDir(): string | undefined {
  return typeof __dirname === "string" ? __dirname : undefined;
}

export function readAsset(name: string): Uint8Array {
  const dir = bundleDir();
  const beside = dir ? join(dir, name) : undefined;
  if (beside && existsSync(beside)) return readFileSync(beside);
  try {
    const asset = pluginAssets(dir ?? process.cwd()).find((a) => a.name === name);
    if (asset && existsSync(asset.path)) return readFileSync(asset.path);
  } catch {
    // not resolvable from here: the error below says what to do
  }
  throw new PluginError(
    "Internal",
    `the plugin's ${name} is missing next to ${dir ?? "its bundle"}`,
    "reinstall the plugin (npm run plugin:install)",
  );
}
