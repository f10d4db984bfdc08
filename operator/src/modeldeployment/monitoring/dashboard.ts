// The Grafana dashboard the Helm chart ships (npm run gen writes charts/liftoff/files/dashboard.json): service
// health and model quality per ModelDeployment, chosen with the namespace and model variables, and a row for language
// models (time to first token, inter-token latency, tokens/s, queued and running requests, KV cache) and one for the
// closed loop (stage, decisions, live accuracy by track, captured records). Drift and
// accuracy panels use the alert rules' own expressions (rules.ts), so the dashboard shows what the alerts judge.
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

/** The language models' row (format gguf, serve/llm/llm-metrics.ts): latency per token, throughput, load, KV cache. */
const llmPanels: Panel[] = [
  {
    title: "Time to first token",
    unit: "s",
    description: "From a generation request's receipt to its first token: queueing and prompt evaluation.",
    targets: ["0.5", "0.99"].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le) (rate(liftoff_llm_time_to_first_token_seconds_bucket{${SEL}}[${W}])))`,
      legendFormat: `p${Number(q) * 100}`,
    })),
  },
  {
    title: "Inter-token latency",
    unit: "s",
    description: "Time between two generated tokens of one request.",
    targets: ["0.5", "0.99"].map((q) => ({
      expr: `histogram_quantile(${q}, sum by (le) (rate(liftoff_llm_inter_token_seconds_bucket{${SEL}}[${W}])))`,
      legendFormat: `p${Number(q) * 100}`,
    })),
  },
  {
    title: "Tokens per second",
    unit: "short",
    description: "Tokens generated and prompt tokens evaluated per second, all replicas.",
    targets: [{ expr: `sum by (kind) (rate(liftoff_llm_tokens_total{${SEL}}[${W}]))`, legendFormat: "{{kind}}" }],
  },
  {
    title: "Generation requests",
    unit: "short",
    description:
      "Requests decoding (one sequence each) and waiting for a sequence, all replicas; cancelled per second.",
    targets: [
      { expr: `sum(liftoff_llm_requests_running{${SEL}})`, legendFormat: "running" },
      { expr: `sum(liftoff_llm_requests_queued{${SEL}})`, legendFormat: "queued" },
      { expr: `sum(rate(liftoff_llm_requests_cancelled_total{${SEL}}[${W}]))`, legendFormat: "cancelled/s" },
    ],
  },
  {
    title: "KV cache use",
    unit: "percentunit",
    description:
      "Share of the KV cache held by running sequences, per pod; p99 of the share of its context a request filled.",
    targets: [
      { expr: `max by (pod) (liftoff_llm_kv_cache_usage_ratio{${SEL}})`, legendFormat: "{{pod}}" },
      {
        expr: `histogram_quantile(0.99, sum by (le) (rate(liftoff_llm_request_context_usage_ratio_bucket{${SEL}}[${W}])))`,
        legendFormat: "request context p99",
      },
    ],
  },
];

/** The operator's series are labelled with the ModelDeployment's name, the runtime's with its model's: the same. */
const LOOP_SEL = 'namespace=~"$namespace",name=~"$model"';

/** The closed loop's row (docs/loop.md): where each loop is, what it decided, the two tracks' live accuracy while a
 * candidate is judged, and what the capture keeps for the next retrain. */
const loopPanels: Panel[] = [
  {
    title: "Loop stage",
    unit: "short",
    description:
      "The stage each ModelDeployment's loop is in (Watching, Retraining, Canary, Promoted, RolledBack, Failed): one line per stage, 1 while it is the current one.",
    targets: [
      {
        expr: `max by (name, stage) (liftoff_modeldeployment_loop_stage{${LOOP_SEL}}) == 1`,
        legendFormat: "{{name}} {{stage}}",
      },
    ],
  },
  {
    title: "Loop decisions",
    unit: "short",
    description: "Loops that ended, by decision (promote, rollback, failed), over the window.",
    targets: [
      {
        expr: `sum by (name, decision) (increase(liftoff_modeldeployment_loop_total{${LOOP_SEL}}[${WINDOW}]))`,
        legendFormat: "{{name}} {{decision}}",
      },
    ],
  },
  {
    title: "Live accuracy by track",
    unit: "percentunit",
    description: "Accuracy from feedback of the stable and the canary track, as the loop's judge compares them.",
    targets: [
      {
        expr: `max by (name, track) (liftoff_modeldeployment_track_accuracy{${LOOP_SEL}})`,
        legendFormat: "{{name}} {{track}}",
      },
    ],
  },
  {
    title: "Captured records",
    unit: "short",
    description:
      "Request rows the capture kept (written), sampled out or dropped (buffer full, write error), per second.",
    targets: [
      {
        expr: `sum by (outcome) (rate(liftoff_capture_records_total{${SEL}}[${W}]))`,
        legendFormat: "{{outcome}}",
      },
    ],
  },
];

/** Panels in rows: the first section has no row header (every model), the others do. */
const sections: { row?: string; panels: Panel[] }[] = [
  { panels },
  { row: "Language models (gguf)", panels: llmPanels },
  { row: "Closed loop (retrain, canary, promote)", panels: loopPanels },
];

function layout(): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let y = 0;
  for (const section of sections) {
    if (section.row !== undefined) {
      out.push({
        id: out.length + 1,
        type: "row",
        title: section.row,
        collapsed: false,
        gridPos: { h: 1, w: 24, x: 0, y },
        panels: [],
      });
      y += 1;
    }
    section.panels.forEach((p, i) => {
      out.push({
        id: out.length + 1,
        type: "timeseries",
        title: p.title,
        description: p.description,
        datasource: DATASOURCE,
        gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: y + Math.floor(i / 2) * 8 },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        targets: p.targets.map((t, j) => ({
          refId: String.fromCharCode(65 + j),
          datasource: DATASOURCE,
          expr: t.expr,
          legendFormat: t.legendFormat,
        })),
      });
    });
    y += Math.ceil(section.panels.length / 2) * 8;
  }
  return out;
}

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
    panels: layout(),
  };
}
