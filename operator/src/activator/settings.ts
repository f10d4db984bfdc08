// What the activator reads of a ModelDeployment (pure): whether it scales to zero and its hold bounds, and the
// canary's traffic share. Read defensively: the autoscaling fields are newer than some stored objects.
import type { ModelDeployment } from "../api/v1alpha1/index.js";

export interface HoldSettings {
  /** autoscaling.minReplicas is 0: the activator brings a track up from zero. */
  scaleToZero: boolean;
  idleSeconds: number;
  activationTimeoutSeconds: number;
  queueLimit: number;
}

/** The defaults of spec.autoscaling.scaleToZero (docs/autoscaling.md). */
const HOLD_DEFAULTS = { idleSeconds: 300, activationTimeoutSeconds: 60, queueLimit: 100 } as const;

const positive = (v: unknown, def: number) => (typeof v === "number" && Number.isFinite(v) && v > 0 ? v : def);

export function holdSettings(mdep: ModelDeployment): HoldSettings {
  const a = (mdep.spec as { autoscaling?: Record<string, unknown> }).autoscaling;
  const z = (a?.scaleToZero ?? {}) as Record<string, unknown>;
  return {
    scaleToZero: a?.minReplicas === 0,
    idleSeconds: positive(z.idleSeconds, HOLD_DEFAULTS.idleSeconds),
    activationTimeoutSeconds: positive(z.activationTimeoutSeconds, HOLD_DEFAULTS.activationTimeoutSeconds),
    queueLimit: positive(z.queueLimit, HOLD_DEFAULTS.queueLimit),
  };
}

/** The canary's share of requests: 0 unless a canary model is set and its track exists (status.canary). */
export function canaryPercent(mdep: ModelDeployment): number {
  const c = mdep.spec.canary;
  if (!c?.model || !mdep.status?.canary) return 0;
  return c.trafficPercent;
}
