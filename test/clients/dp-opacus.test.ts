// Liftoff's RDP accountant (runtime/src/train/dp-accountant.ts) against Opacus' RDPAccountant, run in its own venv
// (hack/opacus-venv.sh): the same sampling rate, noise multiplier, steps and δ give ε within 1 % (the bar; the
// arithmetic is the same, so in practice to ~1e-9), and a targetEpsilon gives the noise multiplier Opacus'
// get_noise_multiplier finds (it stops within 0.01 of the target, Liftoff within 0.01 %, so σ agrees to ~1 %).
import { describe, expect, it } from "vitest";
import { epsilonSpent, noiseForEpsilon } from "../../runtime/src/train/dp-accountant.js";
import { type EpsilonCase, type NoiseCase, opacusAccountant } from "../support/opacus.js";

// Opacus' MNIST example (batch 256 of 60 000, σ 1.1, 60 epochs), digits at Liftoff's defaults (1437 train rows,
// batch 32 → q 1/45), large and tiny sampling rates, little and much noise, short and long runs, small and large δ.
const EPSILON: EpsilonCase[] = [
  { q: 256 / 60000, sigma: 1.1, steps: 60 * 235, delta: 1e-5 },
  { q: 1 / 45, sigma: 1.0, steps: 30 * 45, delta: 1e-5 },
  { q: 1 / 45, sigma: 0.6, steps: 10 * 45, delta: 1e-5 },
  { q: 0.5, sigma: 2, steps: 20, delta: 1e-3 },
  { q: 1e-4, sigma: 0.8, steps: 100000, delta: 1e-8 },
  { q: 0.01, sigma: 5, steps: 1000, delta: 1e-6 },
  { q: 0.05, sigma: 0.7, steps: 1, delta: 1e-5 },
];
const NOISE: NoiseCase[] = [
  { q: 1 / 45, steps: 30 * 45, delta: 1e-5, target: 1 },
  { q: 1 / 45, steps: 30 * 45, delta: 1e-5, target: 8 },
  { q: 256 / 60000, steps: 60 * 235, delta: 1e-5, target: 3 },
];

describe("the DP-SGD accountant against Opacus' RDP accountant", { timeout: 900_000 }, () => {
  it("gives ε within 1 % of Opacus' for the same q, σ, steps and δ", async () => {
    const peer = await opacusAccountant(EPSILON);
    expect(peer.opacus).toBe("1.6.0");
    EPSILON.forEach((c, i) => {
      const ours = epsilonSpent(c.q, c.sigma, c.steps, c.delta);
      const theirs = peer.epsilon[i] as number;
      expect(theirs).toBeGreaterThan(0);
      expect(Math.abs(ours / theirs - 1), `case ${JSON.stringify(c)}: ours ${ours}, Opacus ${theirs}`).toBeLessThan(
        0.01,
      );
    });
  });

  it("derives the noise multiplier for a target ε as Opacus does, within 1 %", async () => {
    const peer = await opacusAccountant([], NOISE);
    NOISE.forEach((c, i) => {
      const ours = noiseForEpsilon(c.target, c.q, c.steps, c.delta);
      if (!ours.ok) throw new Error(`unreachable: ${JSON.stringify(c)}`);
      const theirs = peer.noise[i] as number;
      expect(Math.abs(ours.noiseMultiplier / theirs - 1), `case ${JSON.stringify(c)}`).toBeLessThan(0.01);
      // Both keep their promise: ε at their σ is at most the target.
      expect(epsilonSpent(c.q, theirs, c.steps, c.delta)).toBeLessThanOrEqual(c.target * (1 + 1e-9));
    });
  });
});
