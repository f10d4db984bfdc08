// What monitoring adds to a ModelDeployment's children (pure): the runtime's monitoring env, what stable pods need to
// push their counts to the operator, the volume of a baseline that lives on another claim than the model, and the
// PrometheusRule with the spec's alerts.
import type { ModelDeployment } from "../../api/v1alpha1/index.js";
import type { Capabilities } from "../../capabilities.js";
import { podEnv } from "../../contract/pod-env.js";
import { SERVING_DEFAULTS } from "../../contract/serving.js";
import type { PrometheusRule } from "../../kube/models.js";
import { type ReportPodParts, type ReportSettings, reportPodParts } from "../../report/pod-spec.js";
import type { ResolvedModel } from "../model-source.js";
import type { Track } from "../names.js";
import { alertRules, forDuration } from "./rules.js";

export function monitoringEnv(mdep: ModelDeployment, baseline: { uri: string } | undefined) {
  const m = mdep.spec.monitoring;
  if (!m || (!m.drift && !m.feedback)) return [];
  return [
    ...(baseline ? [podEnv("baselineUri", baseline.uri)] : []),
    podEnv("monitoringWindowSeconds", String(m.windowSeconds ?? SERVING_DEFAULTS.monitoringWindowSeconds)),
    podEnv("feedback", String(m.feedback ?? SERVING_DEFAULTS.feedback)),
  ];
}

/** Where serving pods push their monitoring snapshot (the operator's report endpoint) and how often. */
export interface MonitoringPush {
  settings: ReportSettings;
  periodSeconds: number;
}

/**
 * The report channel's env, token volume and mount, plus the push period, for a monitored ModelDeployment's pods of
 * both tracks (the operator merges each track apart: the canary is judged on its own figures), for the stable pods of
 * an ONNX model on a GPU, which push whether they fell back to the CPU (GPUFallback), and for a language model's
 * (gguf), which push their tokens/s; undefined otherwise. The pod pushes with its own projected token,
 * so /monitoring stays behind the API key (runtime/src/serve/monitoring/pusher.ts).
 */
export function monitoringPushParts(
  mdep: ModelDeployment,
  track: Track,
  push: MonitoringPush | undefined,
  model?: { format: string },
): ReportPodParts | undefined {
  const m = mdep.spec.monitoring;
  const monitored = Boolean(m && (m.drift || m.feedback));
  const gpuOnnx = (mdep.spec.resources?.gpu ?? 0) > 0 && model?.format === "onnx";
  const llm = model?.format === "gguf";
  if (!push || !(monitored || (track === "stable" && (gpuOnnx || llm)))) return undefined;
  const parts = reportPodParts(push.settings);
  return { ...parts, env: [...parts.env, podEnv("monitoringReportSeconds", String(push.periodSeconds))] };
}

/** The baseline's claim when it is not the model's (that one is mounted already). */
export function extraBaselineClaim(model: ResolvedModel, baseline: { claim?: string } | undefined): string | undefined {
  return baseline?.claim && baseline.claim !== model.claim ? baseline.claim : undefined;
}

/** The PrometheusRule body, or undefined when there is nothing to alert on or no Prometheus Operator. */
export function prometheusRule(
  mdep: ModelDeployment,
  caps: Capabilities,
): { spec: NonNullable<PrometheusRule["spec"]> } | undefined {
  const m = mdep.spec.monitoring;
  if (!caps.prometheusRule || !m) return undefined;
  const a = m.alerts;
  const window = m.windowSeconds ?? SERVING_DEFAULTS.monitoringWindowSeconds;
  const rules = alertRules({
    selector: `namespace="${mdep.metadata?.namespace}",model="${mdep.metadata?.name}"`,
    window: `${window}s`,
    for: forDuration(window),
    ...(m.drift ? { driftThreshold: String(m.drift.threshold ?? 0.2) } : {}),
    ...(a?.errorRatePercent !== undefined ? { errorRatePercent: String(a.errorRatePercent) } : {}),
    ...(a?.p99LatencyMs !== undefined ? { p99LatencyMs: String(a.p99LatencyMs) } : {}),
    ...(m.feedback && a?.minAccuracy !== undefined ? { minAccuracy: String(a.minAccuracy) } : {}),
  });
  if (rules.length === 0) return undefined;
  return { spec: { groups: [{ name: `liftoff.${mdep.metadata?.namespace}.${mdep.metadata?.name}`, rules }] } };
}
