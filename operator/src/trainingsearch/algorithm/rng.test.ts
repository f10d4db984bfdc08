import { describe, expect, it } from "vitest";
import { normal, streamFor } from "./rng.js";

function take(random: () => number, n: number): number[] {
  return Array.from({ length: n }, () => random());
}

describe("streamFor", () => {
  it("repeats for the same key and differs when seed, index or purpose differ", () => {
    const a = take(streamFor(7, 3, "learningRate"), 5);
    expect(take(streamFor(7, 3, "learningRate"), 5)).toEqual(a);
    expect(take(streamFor(8, 3, "learningRate"), 5)).not.toEqual(a);
    expect(take(streamFor(7, 4, "learningRate"), 5)).not.toEqual(a);
    expect(take(streamFor(7, 3, "batchSize"), 5)).not.toEqual(a);
  });

  it("spreads evenly over [0, 1): each tenth gets 8-12 % of 20 000 draws", () => {
    const bins = new Array<number>(10).fill(0);
    const random = streamFor(0, 0, "uniformity");
    const draws = take(random, 20_000);
    expect(draws.every((u) => u >= 0 && u < 1)).toBe(true);
    for (const u of draws) bins[Math.floor(u * 10)] = (bins[Math.floor(u * 10)] ?? 0) + 1;
    for (const count of bins) {
      expect(count / 20_000).toBeGreaterThan(0.08);
      expect(count / 20_000).toBeLessThan(0.12);
    }
  });

  it("gives the first draws of neighbouring trial indices no common trend", () => {
    // Trials 0..999 each take their first draw: the draws of neighbours must not march in step.
    const first = Array.from({ length: 1000 }, (_, i) => streamFor(0, i, "x")());
    const mean = first.reduce((s, u) => s + u, 0) / first.length;
    let cov = 0;
    let variance = 0;
    for (let i = 0; i + 1 < first.length; i++) cov += ((first[i] ?? 0) - mean) * ((first[i + 1] ?? 0) - mean);
    for (const u of first) variance += (u - mean) ** 2;
    expect(Math.abs(cov / variance)).toBeLessThan(0.1);
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe("normal", () => {
  it("draws with mean near 0 and standard deviation near 1", () => {
    const random = streamFor(1, 0, "normal");
    const draws = Array.from({ length: 20_000 }, () => normal(random));
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
    expect(draws.every(Number.isFinite)).toBe(true);
  });
});
