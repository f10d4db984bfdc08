// The files the PNG chart needs at run time, which the bundle cannot inline: resvg's WebAssembly module and the
// DejaVu Sans font. hack/build-plugin.ts copies each next to the bundle under `name` and embeds it in the
// single-executable build; load-asset.ts reads them back.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface PluginAsset {
  /** The file's name next to the bundle (and its key in the executable). */
  name: string;
  /** Where it is in node_modules. */
  path: string;
}

/** The assets, resolved through node_modules from `from` (a folder inside the checkout; default the cwd). */
export function pluginAssets(from: string = process.cwd()): PluginAsset[] {
  const req = createRequire(join(from, "noop.js"));
  return [
    { name: "resvg.wasm", path: req.resolve("@resvg/resvg-wasm/index_bg.wasm") },
    {
      name: "DejaVuSans.ttf",
      path: join(dirname(req.resolve("dejavu-fonts-ttf/package.json")), "ttf", "DejaVuSans.ttf"),
    },
  ];
}
