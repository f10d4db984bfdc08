// The alerting rules, built once (pure) for both the per-ModelDeployment PrometheusRule the operator creates and
// the Helm chart's generic rules template (hack/gen-crds.ts writes it with Helm placeholders as thresholds).
// Every expression reads only what the runtime exports; drift uses the same PSI (and ε) as the operator.
import { EPSILON } from "./scores.js";

export interface RuleParams {
  /** PromQL label matchers, without braces: `namespace="a",model="b"`; empty for every model. */
  selector: string;
  /** PromQL range of the window, e.g. "600s". */
  window: string;
  /** How long a condition must hold before the alert fires. */
  for: string;
  /** Thresholds as PromQL literals (or Helm placeholders); omitted → no such alert. */
  driftThreshold?: string;
  errorRatePercent?: string;
  p99LatencyMs?: string;
  minAccuracy?: string;
  /** Extra labels on every alert. */
  labels?: Record<string, string>;
}

/** Fewest rows (drift) or feedback (accuracy) in the window for a verdict, as in the operator's conditions. */
export const MIN_ROWS = 50;
export const MIN_FEEDBACK = 10;

const BY = "namespace, model";
const FEATURE = `${BY}, source, feature`;

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
}

/** Per-feature PSI of the window against the baseline, the expression the drift alert and dashboard share. */
export function psiExpr(selector: string, window: string): string {
  const counts = `increase(liftoff_drift_observations_total{${selector}}[${window}])`;
  const p = `clamp_min(sum by (${FEATURE}, bin) (${counts}) / on (${FEATURE}) group_left sum by (${FEATURE}) (${counts}), ${EPSILON})`;
  const q = `clamp_min(max by (${FEATURE}, bin) (liftoff_drift_baseline_ratio{${selector}}), ${EPSILON})`;
  return `sum by (${FEATURE}) ((${p} - ${q}) * ln(${p} / ${q}))`;
}

export function accuracyExpr(selector: string, window: string): string {
  const sel = selector ? `${selector},` : "";
  return `sum by (${BY}) (increase(liftoff_feedback_class_total{${sel}correct="true"}[${window}])) / sum by (${BY}) (increase(liftoff_feedback_class_total{${selector}}[${window}]))`;
}

export function alertRules(p: RuleParams): AlertRule[] {
  const s = p.selector;
  const sel = s ? `${s},` : "";
  const w = p.window;
  const labels = { severity: "warning", ...(p.labels ?? {}) };
  const out: AlertRule[] = [];
  if (p.errorRatePercent !== undefined) {
    out.push({
      alert: "LiftoffHighErrorRate",
      expr: `100 * sum by (${BY}) (rate(liftoff_inference_requests_total{${sel}code=~"5.."}[${w}])) / sum by (${BY}) (rate(liftoff_inference_requests_total{${s}}[${w}])) > ${p.errorRatePercent}`,
      for: p.for,
      labels: { ...labels },
      annotations: {
        summary: "Model {{ $labels.namespace }}/{{ $labels.model }} answers too many errors",
        description: `{{ $value | printf "%.1f" }} % of requests failed (5xx) over ${w}; the threshold is ${p.errorRatePercent} %.`,
      },
    });
  }
  if (p.p99LatencyMs !== undefined) {
    out.push({
      alert: "LiftoffHighLatencyP99",
      expr: `1000 * histogram_quantile(0.99, sum by (${BY}, le) (rate(liftoff_inference_request_duration_seconds_bucket{${s}}[${w}]))) > ${p.p99LatencyMs}`,
      for: p.for,
      labels: { ...labels },
      annotations: {
        summary: "Model {{ $labels.namespace }}/{{ $labels.model }} is slow",
        description: `p99 latency is {{ $value | printf "%.0f" }} ms over ${w}; the threshold is ${p.p99LatencyMs} ms.`,
      },
    });
  }
  if (p.driftThreshold !== undefined) {
    const rows = `sum by (${FEATURE}) (increase(liftoff_drift_observations_total{${s}}[${w}]))`;
    out.push({
      alert: "LiftoffDrift",
      expr: `(${psiExpr(s, w)}) > ${p.driftThreshold} and on (${FEATURE}) ${rows} >= ${MIN_ROWS}`,
      for: p.for,
      labels: { ...labels },
      annotations: {
        summary: "{{ $labels.source }} {{ $labels.feature }} of {{ $labels.namespace }}/{{ $labels.model }} drifted",
        description: `PSI {{ $value | printf "%.3f" }} against the training baseline over ${w}; the threshold is ${p.driftThreshold}.`,
      },
    });
  }
  if (p.minAccuracy !== undefined) {
    const n = `sum by (${BY}) (increase(liftoff_feedback_class_total{${s}}[${w}]))`;
    out.push({
      alert: "LiftoffLowAccuracy",
      expr: `(${accuracyExpr(s, w)}) < ${p.minAccuracy} and on (${BY}) ${n} >= ${MIN_FEEDBACK}`,
      for: p.for,
      labels: { ...labels },
      annotations: {
        summary: "Live accuracy of {{ $labels.namespace }}/{{ $labels.model }} is low",
        description: `Accuracy from feedback is {{ $value | printf "%.3f" }} over ${w}; the minimum is ${p.minAccuracy}.`,
      },
    });
  }
  return out;
}

/** How long a breach must last: a fifth of the window, at most 5 minutes (6 s for a 30 s test window). */
export function forDuration(windowSeconds: number): string {
  return `${Math.max(1, Math.min(300, Math.round(windowSeconds / 5)))}s`;
}
