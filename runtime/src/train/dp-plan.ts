// hyperparameters.privacy resolved against the training split: the sampling rate, the steps, δ, and σ (given, or
// searched for a targetEpsilon), before the first step — a target the epochs and batch size cannot reach fails the
// run here, naming the smallest reachable ε. The conventions are Opacus' (DPDataLoader, make_private_with_epsilon):
// q = 1/⌈N/B⌉, ⌈N/B⌉ steps an epoch, the noisy sum divided by the expected batch q·N. Pure.
import { ConfigError } from "../errors.js";
import { epsilonFromRdp, noiseForEpsilon, rdpPerStep } from "./dp-accountant.js";
import type { PrivacySpec } from "./spec.js";
import { TrainingFailure } from "./trainer.js";

export interface PrivacyPlan {
  l2NormClip: number;
  noiseMultiplier: number;
  delta: number;
  sampling: PrivacySpec["sampling"];
  /** Poisson sampling rate of one step (also what the accountant assumes under shuffling). */
  sampleRate: number;
  stepsPerEpoch: number;
  /** The divisor of the noisy gradient sum. */
  expectedBatch: number;
  /** ε at δ after `steps` steps. */
  epsilonAfter(steps: number): number;
}

/** δ when the spec gives none: 1/N rounded down to a power of ten, and at most 1e-5. */
function defaultDelta(rows: number): number {
  return Math.min(1e-5, 10 ** Math.floor(Math.log10(1 / rows)));
}

export function planPrivacy(p: PrivacySpec, rows: number, batchSize: number, epochs: number): PrivacyPlan {
  if (batchSize > rows) {
    throw new ConfigError(
      `hyperparameters.batchSize ${batchSize} is larger than the training split (${rows} rows): DP-SGD samples batches from it; use at most ${rows}`,
    );
  }
  const stepsPerEpoch = Math.ceil(rows / batchSize);
  const sampleRate = 1 / stepsPerEpoch;
  const delta = p.delta ?? defaultDelta(rows);
  const steps = epochs * stepsPerEpoch;
  let noiseMultiplier: number;
  if (p.noiseMultiplier !== undefined) noiseMultiplier = p.noiseMultiplier;
  else {
    const target = p.targetEpsilon as number;
    const found = noiseForEpsilon(target, sampleRate, steps, delta);
    if (!found.ok) {
      throw new TrainingFailure(
        "PrivacyBudgetUnreachable",
        `hyperparameters.privacy.targetEpsilon ${target} cannot be reached at δ=${delta} with ${epochs} epochs of batch ${batchSize} on ${rows} rows (${steps} steps at sampling rate ${sampleRate.toPrecision(4)}): the smallest reachable ε is ${found.smallestEpsilon.toPrecision(4)}; raise targetEpsilon or delta, or train fewer epochs or larger batches`,
      );
    }
    noiseMultiplier = found.noiseMultiplier;
  }
  const perStep = rdpPerStep(sampleRate, noiseMultiplier);
  return {
    l2NormClip: p.l2NormClip,
    noiseMultiplier,
    delta,
    sampling: p.sampling,
    sampleRate,
    stepsPerEpoch,
    expectedBatch: p.sampling === "poisson" ? sampleRate * rows : batchSize,
    epsilonAfter: (s) =>
      s === 0
        ? 0
        : epsilonFromRdp(
            perStep.map((r) => r * s),
            delta,
          ).epsilon,
  };
}
