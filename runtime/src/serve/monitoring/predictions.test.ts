import { describe, expect, it } from "vitest";
import { PredictionStore } from "./predictions.js";

describe("PredictionStore", () => {
  it("finds a row until its TTL passes", () => {
    let t = 0;
    const s = new PredictionStore({ maxRows: 10, ttlSeconds: 5, owner: "me", now: () => t });
    const id = s.put([2, 0]);
    expect(PredictionStore.ownerOf(id)).toBe("me");
    expect(s.get(id, 1)).toEqual({ value: 0 });
    expect(s.get(id, 2)).toEqual({ missing: "row" });
    t = 5_000;
    expect(s.get(id, 0)).toEqual({ missing: "unknown" });
    expect(s.size).toBe(0);
  });

  it("keeps at most maxRows rows, dropping the oldest, however many predictions arrive", () => {
    const s = new PredictionStore({ maxRows: 100, ttlSeconds: 3600, owner: "me" });
    const ids = Array.from({ length: 10_000 }, () => s.put([1, 1, 1]));
    expect(s.storedRows).toBeLessThanOrEqual(100);
    expect(s.get(ids[0] as string, 0)).toEqual({ missing: "unknown" });
    expect(s.get(ids.at(-1) as string, 0)).toEqual({ value: 1 });
    // A request larger than the whole store is not kept (and evicts nothing).
    const big = s.put(new Array(101).fill(0));
    expect(s.get(big, 0)).toEqual({ missing: "unknown" });
    expect(s.get(ids.at(-1) as string, 0)).toEqual({ value: 1 });
  });

  it("counts feedback once per row", () => {
    const s = new PredictionStore({ maxRows: 10, ttlSeconds: 60, owner: "me" });
    const id = s.put([3]);
    expect(s.get(id, 0, "", true)).toEqual({ value: 3 });
    expect(s.get(id, 0)).toEqual({ missing: "answered" });
  });

  it("finding: prediction ids are unguessable and feedback is taken only from the caller that asked", () => {
    const s = new PredictionStore({ maxRows: 100, ttlSeconds: 60, owner: "me" });
    const a = s.put([1], "alice");
    const b = s.put([1], "alice");
    // Random, not a counter: 128 bits after the owner.
    for (const id of [a, b]) expect(id).toMatch(/^me\.[A-Za-z0-9_-]{22}$/);
    expect(a.slice(0, -1)).not.toBe(b.slice(0, -1));
    // Another caller cannot see (nor consume) alice's prediction: it is unknown to them.
    expect(s.get(a, 0, "mallory", true)).toEqual({ missing: "unknown" });
    expect(s.get(a, 0, "alice", true)).toEqual({ value: 1 });
  });
});
