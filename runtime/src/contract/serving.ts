// The ModelDeployment values both sides apply: the API publishes them as the CRD's defaults (operator/src/api/
// v1alpha1/modeldeployment.ts), the operator passes them to serving pods when a spec left them out, and `serve`
// falls back to them without a flag or variable (runtime/src/config.ts).
export const SERVING_DEFAULTS = {
  /** spec.auth.refreshSeconds: a rotated key is accepted within this time. */
  authRefreshSeconds: 15,
  /** spec.auth.graceSeconds: a replaced key stays valid this long. */
  authGraceSeconds: 60,
  /** spec.monitoring.windowSeconds */
  monitoringWindowSeconds: 600,
  /** spec.monitoring.feedback */
  feedback: false,
} as const;
