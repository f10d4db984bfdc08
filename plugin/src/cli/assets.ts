// Finds a file the build ships with the plugin (chart/assets.ts lists them) wherever this copy runs from:
// embedded in the single executable (node:sea's getAsset; the krew archive), next to the bundle in dist/assets/
// (the npm package, the checkout's build), or in node_modules (tsx and the tests, from source).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PluginError } from "./errors.js";

/** The folder next to the bundle the build copies the assets into (plugin/dist/assets). */
export const ASSET_DIR = "assets";

async function fromSea(name: string): Promise<Uint8Array | undefined> {
  try {
    const sea = (await import("node:sea")) as { isSea(): boolean; getAsset(key: string): ArrayBuffer };
    return sea.isSea() ? new Uint8Array(sea.getAsset(name)) : undefined;
  } catch {
    return undefined; // Node without node:sea, or no such asset
  }
}

/** The bundle's folder: __dirname in the CommonJS bundle; undefined when running from source as ESM. */
function bundleDir(): string | undefined {
  return typeof __dirname === "string" ? __dirname : undefined;
}

/** Where this copy found an asset: `version -o json` reports it, so an install test sees the packaging work. */
export type AssetSource = "executable" | "bundle" | "source";

export async function locateAsset(name: string): Promise<{ from: AssetSource; bytes: Uint8Array } | undefined> {
  const sea = await fromSea(name);
  if (sea) return { from: "executable", bytes: sea };
  const dir = bundleDir();
  const beside = dir === undefined ? undefined : join(dir, ASSET_DIR, name);
  if (beside && existsSync(beside)) return { from: "bundle", bytes: readFileSync(beside) };
  try {
    const { pluginAssets } = await import("../chart/assets.js");
    const source = pluginAssets().find((a) => a.name === name);
    if (source) return { from: "source", bytes: readFileSync(source.path) };
  } catch {
    // not a source checkout either
  }
  return undefined;
}

export async function readAsset(name: string): Promise<Uint8Array> {
  const found = await locateAsset(name);
  if (found) return found.bytes;
  const dir = bundleDir();
  const beside = dir === undefined ? undefined : join(dir, ASSET_DIR, name);
  throw new PluginError(
    "Internal",
    `the plugin's file ${name} is missing${beside ? ` (looked in ${join(dir as string, ASSET_DIR)})` : ""}`,
    "reinstall the plugin (npm run plugin:install, or kubectl krew install liftoff)",
  );
}
