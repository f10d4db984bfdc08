// spec.retrain with its defaults filled in (pure): the one place the loop reads its settings from.
import type { ModelDeployment } from "../../api/v1alpha1/index.js";
import { RETRAIN_DEFAULTS } from "../../api/v1alpha1/retrain.js";

export type RetrainSpec = NonNullable<ModelDeployment["spec"]["retrain"]>;

export interface LoopPolicy {
  driftedPeriods?: number;
  degraded: boolean;
  everyHours?: number;
  trafficPercent: number;
  judge: {
    minSamples: number;
    alpha: number;
    maxAccuracyDrop: number;
    maxErrorRateIncrease: number;
    maxP99Ratio: number;
  };
  readyTimeoutSeconds: number;
  maxDurationSeconds: number;
  minIntervalMinutes: number;
  maxPerDay: number;
  retrainTimeoutMinutes: number;
}

export function loopPolicy(r: RetrainSpec): LoopPolicy {
  const c = r.canary ?? {};
  const d = RETRAIN_DEFAULTS;
  return {
    ...(r.triggers?.drifted ? { driftedPeriods: r.triggers.drifted.periods } : {}),
    degraded: r.triggers?.degraded ?? false,
    ...(r.triggers?.schedule ? { everyHours: r.triggers.schedule.everyHours } : {}),
    trafficPercent: c.trafficPercent ?? d.trafficPercent,
    judge: {
      minSamples: c.minSamples ?? d.minSamples,
      alpha: c.alpha ?? d.alpha,
      maxAccuracyDrop: c.maxAccuracyDrop ?? d.maxAccuracyDrop,
      maxErrorRateIncrease: c.maxErrorRateIncrease ?? d.maxErrorRateIncrease,
      maxP99Ratio: c.maxP99Ratio ?? d.maxP99Ratio,
    },
    readyTimeoutSeconds: c.readyTimeoutSeconds ?? d.readyTimeoutSeconds,
    maxDurationSeconds: c.maxDurationSeconds ?? d.maxDurationSeconds,
    minIntervalMinutes: r.limits?.minIntervalMinutes ?? d.minIntervalMinutes,
    maxPerDay: r.limits?.maxPerDay ?? d.maxPerDay,
    retrainTimeoutMinutes: r.limits?.retrainTimeoutMinutes ?? d.retrainTimeoutMinutes,
  };
}
