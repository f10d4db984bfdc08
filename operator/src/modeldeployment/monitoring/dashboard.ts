// The Grafana dashboard the Helm chart ships (npm run gen writes charts/liftoff/files/dashboard.json): service
// health and model quality per ModelDeployment, chosen with the namespace and model variables. Drift and accuracy
// panels use the alert rules' own expressions (rules.ts), so the dashboard shows what the alerts judge.
import { accuracyExpr, psiExpr } from "./rules.js";

const SEL = 'namespace=~"$namespace",model=~"$model"';
const W = "$__rate_interval";
/** Drift and accuracy are judged over the window, not the scrape rate. */
const WINDOW = "$window";
/** Grafana's datasource variable, ${datasource} in its own syntax (not a JavaScript template). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana variable syntax, kept literally in the JSON
const DATASOURCE = { type: "prometheus", uid: "${datasource}" };

interface Panel {
  title: string;
  unit: string;
  targets: { expr: string; legendFormat: string }[];
  description: string;
}

const panels: Panel[] = [
  {
    title: "Request rate",
    unit: "reqps",
    description: "Inference requests per second, by protocol and status code.",
    targets: [
      {
        expr: `sum by (protocol, code) (rate(liftoff_inference_requests_total{${SEL}}[${W}]))`,
        legendFormat: "{{protocol}} {{code}}",
      },
    ],
  },
  {
    title: "Latency quantiles",
    unit: "s",
    description: "Request duration from receipt to reply.",
    targets: ["0.5", "0.9", "0.99"].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le) (rate(liftoff_inference_request_duration_seconds_bucket{${SEL}}[${W}])))`,
      legendFormat: `p${Number(q) * 100}`,
    })),
  },
  {
    title: "Batch size",
    unit: "short",
    description: "Rows per model call (dynamic batching), median and p99.",
    targets: ["0.5", "0.99"].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le) (rate(liftoff_inference_batch_size_bucket{${SEL}}[${W}])))`,
      legendFormat: `p${Number(q) * 100}`,
    })),
  },
  {
    title: "Errors",
    unit: "percent",
    description: "Share of requests answered with a 4xx or 5xx status.",
    targets: [
      {
        expr: `100 * sum by (code) (rate(liftoff_inference_requests_total{${SEL},code=~"[45].."}[${W}])) / scalar(sum(rate(liftoff_inference_requests_total{${SEL}}[${W}])))`,
        legendFormat: "{{code}}",
      },
    ],
  },
  {
    title: "Drift per feature (PSI)",
    unit: "short",
    description: "Population-stability index of each input column and of the prediction against the training baseline.",
    targets: [{ expr: psiExpr(SEL, WINDOW), legendFormat: "{{source}} {{feature}}" }],
  },
  {
    title: "Accuracy and recall",
    unit: "percentunit",
    description: "Live accuracy and per-class recall from feedback (all replicas).",
    targets: [
      { expr: accuracyExpr(SEL, WINDOW), legendFormat: "accuracy" },
      {
        expr: `sum by (actual) (increase(liftoff_feedback_class_total{${SEL},correct="true"}[${WINDOW}])) / sum by (actual) (increase(liftoff_feedback_class_total{${SEL}}[${WINDOW}]))`,
        legendFormat: "recall {{actual}}",
      },
    ],
  },
];

export function dashboard(): Record<string, unknown> {
  const variable = (name: string, query: string) => ({
    name,
    type: "query",
    datasource: DATASOURCE,
    query: { query, refId: name },
    definition: query,
    includeAll: true,
    multi: true,
    refresh: 2,
  });
  return {
    title: "Liftoff models",
    uid: "liftoff-models",
    schemaVersion: 39,
    editable: true,
    time: { from: "now-1h", to: "now" },
    refresh: "30s",
    tags: ["liftoff"],
    templating: {
      list: [
        { name: "datasource", type: "datasource", query: "prometheus" },
        variable("namespace", "label_values(liftoff_model_ready, namespace)"),
        variable("model", 'label_values(liftoff_model_ready{namespace=~"$namespace"}, model)'),
        {
          name: "window",
          type: "custom",
          query: "10m,30m,1h",
          current: { text: "10m", value: "10m" },
          description: "Range of the drift and accuracy panels (spec.monitoring.windowSeconds)",
        },
      ],
    },
    panels: panels.map((p, i) => ({
      id: i + 1,
      type: "timeseries",
      title: p.title,
      description: p.description,
      datasource: DATASOURCE,
      gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
      fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
      targets: p.targets.map((t, j) => ({
        refId: String.fromCharCode(65 + j),
        datasource: DATASOURCE,
        expr: t.expr,
        legendFormat: t.legendFormat,
      })),
    })),
  };
}
