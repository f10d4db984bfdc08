// --size WxH: the PNG's size, within what a screen or a report page can use.
import { PluginError } from "../cli/errors.js";

export function parseSize(text: string): { width: number; height: number } {
  const m = /^(\d{2,5})x(\d{2,5})$/i.exec(text.trim());
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (!m || width < 200 || height < 150 || width > 8000 || height > 8000) {
    throw new PluginError(
      "Usage",
      `--size "${text}" is not a picture size`,
      "write WIDTHxHEIGHT in pixels, e.g. 1200x700 (200x150 to 8000x8000)",
    );
  }
  return { width, height };
}
