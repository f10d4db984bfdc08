import { describe, expect, it } from "vitest";
import { EMPTY, shares, sideBySide, sparkline } from "./histogram.js";

describe("block-character histograms", () => {
  it("draws one block per bin, the largest share full", () => {
    expect(sparkline([0, 1, 2, 4, 8])).toBe(`${EMPTY}▁▂▄█`);
    expect(sparkline([0, 0])).toBe(`${EMPTY}${EMPTY}`);
  });

  it("draws baseline and live on one scale", () => {
    const s = sideBySide([0.25, 0.25, 0.25, 0.25], [0, 0, 0, 1]);
    expect(s).toEqual({ baseline: "▂▂▂▂", live: `${EMPTY}${EMPTY}${EMPTY}█` });
  });

  it("turns counts into shares", () => {
    expect(shares([1, 3])).toEqual([0.25, 0.75]);
    expect(shares([0, 0])).toEqual([0, 0]);
  });
});
