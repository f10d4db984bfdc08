import { describe, expect, it } from "vitest";
import { ASSET_NAMES } from "../chart/assets.js";
import { locateAsset, readAsset } from "./assets.js";
import { PluginError } from "./errors.js";

describe("the plugin's shipped files", () => {
  it("are found in a source checkout (node_modules) when there is no bundle or single executable", async () => {
    const wasm = await readAsset(ASSET_NAMES.wasm);
    expect([...wasm.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]); // "\0asm"
    const font = await locateAsset(ASSET_NAMES.font);
    expect(font?.from).toBe("source");
    expect([...(font?.bytes.subarray(0, 4) ?? [])]).toEqual([0, 1, 0, 0]); // a TrueType font
  });

  it("a missing one is one line saying how to repair the install", async () => {
    const err = await readAsset("nope.bin").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).line()).toMatch(
      /^error: the plugin's file nope\.bin is missing.*; reinstall the plugin/,
    );
  });
});
