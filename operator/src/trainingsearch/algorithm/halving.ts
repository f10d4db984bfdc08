// Successive halving, asynchronous (ASHA, Li et al. 2018), as Optuna's SuccessiveHalvingPruner with min_resource =
// minEpochs, reduction_factor = η, min_early_stopping_rate 0 (optuna/pruners/_successive_halving.py): rung k sits at
// epoch minEpochs·η^k. A trial that has reached a rung competes there with every trial that reached it (itself
// included; any state, as Optuna keeps the rung values of every trial) and goes on when in the top ⌊n/η⌋, at least
// the best one (Optuna's promotion for the first η - 1 trials); otherwise it stops. A trial's value at a rung is the
// one at the first epoch it reported at or after the rung's (Optuna records the step that first passes the rung).
// Kept stateless: the rungs a trial passed follow from its curve, so an operator restart decides the same. The cost
// of having no memory: where Optuna judges a trial at a rung once, when it gets there, this judges it at every rung it
// has reached against every trial that has reached it so far, each time the search looks — stricter (docs say so).

import { firstAtOrAfter, formatValue, isBetter, lastPoint } from "./curve.js";
import type { Goal, TrialObservation } from "./types.js";

const HALVING_DEFAULTS = { minEpochs: 1, reductionFactor: 3 } as const;

/** The epoch of rung k. */
export function rungEpoch(minEpochs: number, reductionFactor: number, k: number): number {
  return minEpochs * reductionFactor ** k;
}

export function halvingStop(args: {
  minEpochs?: number;
  reductionFactor?: number;
  goal: Goal;
  trial: TrialObservation;
  trials: TrialObservation[];
}): { reason: string; epoch: number } | undefined {
  // The API admits minEpochs ≥ 1 and η ≥ 2; the floor here only keeps the rung loop finite.
  const minEpochs = Math.max(1, args.minEpochs ?? HALVING_DEFAULTS.minEpochs);
  const eta = Math.max(2, args.reductionFactor ?? HALVING_DEFAULTS.reductionFactor);
  const last = lastPoint(args.trial.curve);
  if (!last) return undefined;
  for (let k = 0; rungEpoch(minEpochs, eta, k) <= last.epoch; k++) {
    const at = rungEpoch(minEpochs, eta, k);
    const own = firstAtOrAfter(args.trial.curve, at) as { epoch: number; value: number };
    if (!Number.isFinite(own.value)) {
      return { reason: `successiveHalving at epoch ${own.epoch}: the objective is not a number`, epoch: own.epoch };
    }
    const others = args.trials
      .filter((t) => t.index !== args.trial.index)
      .map((t) => firstAtOrAfter(t.curve, at)?.value)
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
    const competing = [own.value, ...others].sort((a, b) =>
      isBetter(args.goal, a, b) ? -1 : isBetter(args.goal, b, a) ? 1 : 0,
    );
    const promoted = Math.max(1, Math.floor(competing.length / eta));
    const cut = competing[promoted - 1] as number;
    if (isBetter(args.goal, cut, own.value)) {
      return {
        reason:
          `successiveHalving at epoch ${own.epoch}: ${formatValue(own.value)} is not in the top ${promoted} of ` +
          `${competing.length} trials at rung ${k} (epoch ${at}), which need ${formatValue(cut)} or better`,
        epoch: own.epoch,
      };
    }
  }
  return undefined;
}
