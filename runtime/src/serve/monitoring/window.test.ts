import { describe, expect, it } from "vitest";
import { SlidingCounts } from "./window.js";

describe("SlidingCounts", () => {
  it("sums what was added within the window and forgets older slots", () => {
    let t = 0;
    const w = new SlidingCounts(2, 10, 5, () => t); // 5 slots of 2 s
    w.add(0, 3);
    t = 4_000;
    w.add(1);
    expect(Array.from(w.sum())).toEqual([3, 1]);
    t = 10_500; // the slot of t=0 is out; the one of t=4 s is still in
    expect(Array.from(w.sum())).toEqual([0, 1]);
    t = 60_000; // long idle: everything is out
    w.add(1, 2);
    expect(Array.from(w.sum())).toEqual([0, 2]);
  });

  it("refuses a window without slots", () => {
    expect(() => new SlidingCounts(1, 10, 0)).toThrow(/slots >= 1/);
  });
});
