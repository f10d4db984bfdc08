import { describe, expect, it } from "vitest";
import { boundHistory, MAX_HISTORY, pointOf, strideFor } from "./history.js";

const logs = (n: number) => Array.from({ length: n }, (_, i) => ({ loss: 1 / (i + 1), val_accuracy: i / n }));

describe("per-epoch history", () => {
  it("keeps every epoch while they fit", () => {
    const h = boundHistory(logs(MAX_HISTORY));
    expect(h.stride).toBe(1);
    expect(h.epochs.map((p) => p.epoch)).toEqual(Array.from({ length: MAX_HISTORY }, (_, i) => i + 1));
    expect(h.epochs[0]).toEqual({ epoch: 1, loss: 1, metrics: { val_accuracy: 0 } });
  });

  it("halves once full: every second epoch, the first and the last kept, never more than the bound", () => {
    const h = boundHistory(logs(MAX_HISTORY + 1));
    expect(h.stride).toBe(2);
    expect(h.epochs.length).toBeLessThanOrEqual(MAX_HISTORY);
    expect(h.epochs[0]?.epoch).toBe(1);
    expect(h.epochs[1]?.epoch).toBe(3);
    expect(h.epochs.at(-1)?.epoch).toBe(MAX_HISTORY + 1);
  });

  it.each([1, 2, 10, 199, 200, 201, 399, 400, 401, 1000, 5000])("bounds %i epochs", (n) => {
    const h = boundHistory(logs(n));
    expect(h.epochs.length).toBeLessThanOrEqual(MAX_HISTORY);
    expect(h.epochs.at(-1)?.epoch).toBe(n);
    expect(h.epochs[0]?.epoch).toBe(1);
    // the stride is the smallest power of two that fits: half of it would not
    if (h.stride > 1) expect(Math.ceil((n - 1) / (h.stride / 2)) + 1).toBeGreaterThan(MAX_HISTORY);
    for (const p of h.epochs.slice(0, -1)) expect((p.epoch - 1) % h.stride).toBe(0);
  });

  it("a small bound halves again and again", () => {
    expect(strideFor(9, 3)).toBe(4); // epochs 1, 5, 9
    expect(boundHistory(logs(9), 3).epochs.map((p) => p.epoch)).toEqual([1, 5, 9]);
    expect(boundHistory(logs(10), 3).epochs.map((p) => p.epoch)).toEqual([1, 9, 10]);
  });

  it("drops numbers JSON cannot carry (a diverged validation loss)", () => {
    expect(pointOf(3, { loss: 0.5, val_loss: Number.NaN, val_accuracy: 0.9 })).toEqual({
      epoch: 3,
      loss: 0.5,
      metrics: { val_accuracy: 0.9 },
    });
  });

  it("is empty before the first epoch", () => {
    expect(boundHistory([])).toEqual({ stride: 1, epochs: [] });
  });
});
