// spec.autoscaling's settings with the schema's defaults filled in (pure): the builders and the activator read these.
import { type ModelDeploymentSpec, SCALE_TO_ZERO_DEFAULTS } from "../../api/v1alpha1/modeldeployment.js";

type Autoscaling = NonNullable<ModelDeploymentSpec["autoscaling"]>;

export interface ScaleToZeroSettings {
  idleSeconds: number;
  activationTimeoutSeconds: number;
  queueLimit: number;
}

/** scaleToZero as given, each omitted field (or the whole object) at its default. */
export function scaleToZeroSettings(a: Autoscaling): ScaleToZeroSettings {
  const s = a.scaleToZero;
  return {
    idleSeconds: s?.idleSeconds ?? SCALE_TO_ZERO_DEFAULTS.idleSeconds,
    activationTimeoutSeconds: s?.activationTimeoutSeconds ?? SCALE_TO_ZERO_DEFAULTS.activationTimeoutSeconds,
    queueLimit: s?.queueLimit ?? SCALE_TO_ZERO_DEFAULTS.queueLimit,
  };
}
