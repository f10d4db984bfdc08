// The files the PNG chart needs at run time (the resvg renderer's wasm and the font it draws text with), which the
// build copies next to the bundle (plugin/dist/assets/) and embeds in the single executable (hack/build-plugin.ts).
// Read them with readAsset() from cli/assets.ts, which finds them in either place, or here in a source checkout.
import { createRequire } from "node:module";

export const ASSET_NAMES = { wasm: "resvg.wasm", font: "DejaVuSans.ttf" } as const;

export interface PluginAsset {
  /** The file's name next to the bundle and its key in the single executable. */
  name: string;
  /** Where the source checkout has it (node_modules). */
  path: string;
}

export function pluginAssets(): PluginAsset[] {
  const require = createRequire(import.meta.url);
  return [
    { name: ASSET_NAMES.wasm, path: require.resolve("@resvg/resvg-wasm/index_bg.wasm") },
    { name: ASSET_NAMES.font, path: require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf") },
  ];
}
