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

export async function readAsset(name: string): Promise<Uint8Array> {
  const sea = await fromSea(name);
  if (sea) return sea;
  const dir = bundleDir();
  const beside = dir === undefined ? undefined : join(dir, ASSET_DIR, name);
  if (beside && existsSync(beside)) return readFileSync(beside);
  try {
    const { pluginAssets } = await import("../chart/assets.js");
    const source = pluginAssets().find((a) => a.name === name);
    if (source) return readFileSync(source.path);
  } catch {
    // not a source checkout either: the error below says what to do
  }
  throw new PluginError(
    "Internal",
    `the plugin's file ${name} is missing${beside ? ` (looked in ${join(dir as string, ASSET_DIR)})` : ""}`,
    "reinstall the plugin (npm run plugin:install, or kubectl krew install liftoff)",
  );
}
