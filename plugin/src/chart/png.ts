// SVG → PNG with resvg compiled to WebAssembly (no native module, so the bundle and the single executable carry it),
// rendering text with the DejaVu Sans font passed in: no system fonts are read, so the picture is the same anywhere.
import { readAsset } from "../cli/assets.js";
import { ASSET_NAMES } from "./assets.js";

let ready: Promise<typeof import("@resvg/resvg-wasm")> | undefined;

/** resvg's module, its WebAssembly initialised once per process. */
function resvg(): Promise<typeof import("@resvg/resvg-wasm")> {
  ready ??= import("@resvg/resvg-wasm").then(async (mod) => {
    await mod.initWasm(await readAsset(ASSET_NAMES.wasm));
    return mod;
  });
  return ready;
}

export async function svgToPng(svg: string): Promise<{ png: Uint8Array; width: number; height: number }> {
  const [{ Resvg }, font] = await Promise.all([resvg(), readAsset(ASSET_NAMES.font)]);
  const r = new Resvg(svg, {
    font: { fontBuffers: [font], loadSystemFonts: false, defaultFontFamily: "DejaVu Sans" },
    fitTo: { mode: "original" },
  });
  const image = r.render();
  try {
    return { png: image.asPng(), width: image.width, height: image.height };
  } finally {
    image.free();
    r.free();
  }
}

/** Width and height from a PNG's IHDR chunk, or undefined when the bytes are not a PNG. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 24 || sig.some((b, i) => bytes[i] !== b)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== "IHDR") return undefined;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
