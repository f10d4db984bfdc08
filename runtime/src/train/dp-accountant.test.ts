// The RDP accountant against published values: the erfc tail, the closed form of the unsampled Gaussian mechanism,
// TF Privacy's rdp_accountant_test figures and Opacus' own doctest; the Opacus run itself is test/clients/dp-opacus.test.ts.
import { describe, expect, it } from "vitest";
import { epsilonFromRdp, epsilonSpent, logErfc, noiseForEpsilon, RDP_ORDERS, rdpPerStep } from "./dp-accountant.js";

describe("logErfc", () => {
  it.each([
    [0, 1],
    [0.5, 0.4795001221869535],
    [1.9, 0.007209570764742524],
    [2, 0.004677734981047266],
    [5, 1.5374597944280349e-12],
    [-1, 1.8427007929497148],
  ])("erfc(%s) = %s", (x, want) => {
    expect(Math.exp(logErfc(x)) / want - 1).toBeCloseTo(0, 10);
  });
  it("stays finite where erfc underflows: log erfc(40) ≈ −x² − log(x√π)", () => {
    const x = 40;
    expect(logErfc(x)).toBeCloseTo(-x * x - Math.log(x * Math.sqrt(Math.PI)) - 1 / (2 * x * x), 6);
  });
});

describe("RDP of the sampled Gaussian mechanism", () => {
  it("without sampling (q = 1) is the Gaussian mechanism's α / 2σ²", () => {
    expect(rdpPerStep(1, 2, [3, 10.5])).toEqual([3 / 8, 10.5 / 8]);
  });
  it("matches TF Privacy's rdp_accountant_test (q 0.1, σ 2, 10 steps, order 5)", () => {
    expect((rdpPerStep(0.1, 2, [5])[0] as number) * 10).toBeCloseTo(0.07737, 5);
  });
  it("matches dp-accounting's rdp_privacy_accountant_test at integer and fractional orders (q 0.01, σ 2.5, 50 steps)", () => {
    const got = rdpPerStep(0.01, 2.5, [1.5, 2.5, 5, 50, 100]).map((r) => r * 50);
    const want = [6.5007e-4, 1.0854e-3, 2.1808e-3, 2.3846e-2, 1.6742e2];
    got.forEach((g, i) => {
      expect(g / (want[i] as number) - 1).toBeCloseTo(0, 3);
    });
  });
  it("matches Opacus' doctest: two mechanisms composed, orders 2–32, δ 1e-5 → ε 0.336 at order 23", () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const a = rdpPerStep(1e-5, 1.0, orders).map((r) => r * 10);
    const b = rdpPerStep(1e-4, 3.0, orders).map((r) => r * 4);
    const { epsilon, order } = epsilonFromRdp(
      a.map((r, i) => r + (b[i] as number)),
      1e-5,
      orders,
    );
    expect(epsilon).toBeCloseTo(0.336, 3);
    expect(order).toBe(23);
  });
  it("converts pure DP as dp-accounting does: RDP 1.1 at orders 2–32, δ 1e-5 → ε 1.32783806176 at order 32", () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const { epsilon, order } = epsilonFromRdp(
      orders.map(() => 1.1),
      1e-5,
      orders,
    );
    expect(epsilon).toBeCloseTo(1.32783806176, 9);
    expect(order).toBe(32);
  });
  it("gives dp-accounting's (1, 1e-6) for the Gaussian mechanism at σ 4.530877117 (orders 1.001 … 99.999)", () => {
    const orders = Array.from({ length: 98999 }, (_, i) => 0.001 * (i + 1001));
    expect(epsilonFromRdp(rdpPerStep(1, 4.530877117, orders), 1e-6, orders).epsilon).toBeCloseTo(1, 6);
  });
  it("uses Opacus' default orders", () => {
    expect(RDP_ORDERS.length).toBe(151);
    expect(RDP_ORDERS[0]).toBeCloseTo(1.1, 12);
    expect(RDP_ORDERS[98]).toBeCloseTo(10.9, 12);
    expect(RDP_ORDERS.slice(99, 101)).toEqual([12, 13]);
    expect(RDP_ORDERS.at(-1)).toBe(63);
  });
  it("grows with the steps and shrinks with the noise", () => {
    expect(epsilonSpent(0.01, 1.1, 2000, 1e-5)).toBeGreaterThan(epsilonSpent(0.01, 1.1, 1000, 1e-5));
    expect(epsilonSpent(0.01, 2, 1000, 1e-5)).toBeLessThan(epsilonSpent(0.01, 1.1, 1000, 1e-5));
    expect(epsilonSpent(0.01, 1.1, 0, 1e-5)).toBe(0);
  });
});

describe("noiseForEpsilon", () => {
  it("finds the smallest σ whose ε stays at or below the target", () => {
    const r = noiseForEpsilon(2, 256 / 60000, 60 * 235, 1e-5);
    if (!r.ok) throw new Error("unreachable");
    expect(r.epsilon).toBeLessThanOrEqual(2);
    expect(r.epsilon).toBeGreaterThan(1.99);
    expect(epsilonSpent(256 / 60000, r.noiseMultiplier * 0.999, 60 * 235, 1e-5)).toBeGreaterThan(2);
  });
  it("names the smallest reachable ε when the target is below what any allowed σ gives", () => {
    const r = noiseForEpsilon(0.05, 0.05, 1000, 1e-5);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.smallestEpsilon).toBeGreaterThan(0.05);
    expect(noiseForEpsilon(r.smallestEpsilon * 1.01, 0.05, 1000, 1e-5).ok).toBe(true);
  });
});
