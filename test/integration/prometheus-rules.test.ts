// promtool test rules for every alert, against both the Helm chart's rules and the PrometheusRule the operator
// writes for one ModelDeployment; and the Grafana dashboard: valid JSON, every query parses (promtool), every
// metric it reads is one the runtime or the operator exports.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, inject, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import type { ModelDeployment } from "../../operator/src/api/v1alpha1/index.js";
import { createOperatorMetrics } from "../../operator/src/metrics.js";
import { prometheusRule } from "../../operator/src/modeldeployment/monitoring/desired.js";
import { psi } from "../../operator/src/modeldeployment/monitoring/scores.js";
import { CaptureMetrics } from "../../runtime/src/serve/capture/metrics.js";
import { LlmMetrics } from "../../runtime/src/serve/llm/llm-metrics.js";
import { RuntimeMetrics } from "../../runtime/src/serve/metrics.js";
import { parseBaseline } from "../../runtime/src/serve/monitoring/baseline.js";
import { Monitor } from "../../runtime/src/serve/monitoring/monitor.js";

const exec = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "liftoff-rules-"));
const promtool = (args: string[]) => exec(inject("promtool"), args, { cwd: dir });

async function chartRules(): Promise<object> {
  const { stdout } = await exec(
    inject("helm"),
    [
      "template",
      "rel",
      join(REPO_ROOT, "charts/liftoff"),
      "--kube-version",
      "v1.35.4",
      "--set",
      "monitoring.prometheusRule.enabled=true",
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const rule = parseAllDocuments(stdout)
    .map((d) => d.toJS())
    .find((o) => o?.kind === "PrometheusRule");
  return rule.spec;
}

function operatorRules(): object {
  const mdep = {
    metadata: { name: "m", namespace: "ns" },
    spec: {
      model: { uri: "pvc://c/m/model.json", format: "tfjs-layers" },
      monitoring: {
        drift: { threshold: 0.25 },
        feedback: true,
        windowSeconds: 600,
        alerts: { errorRatePercent: 5, p99LatencyMs: 500, minAccuracy: 0.8 },
      },
    },
  } as unknown as ModelDeployment;
  const rule = prometheusRule(mdep, { serviceMonitor: true, gatewayAPI: false, prometheusRule: true });
  if (!rule) throw new Error("no PrometheusRule built");
  return rule.spec;
}

const at = (ns: string, model: string, extra: Record<string, string>) =>
  `{${Object.entries({ namespace: ns, model, ...extra })
    .map(([k, v]) => `${k}="${v}"`)
    .join(",")}}`;

/** Model ns/m misbehaves in every way, ns/healthy in none: each alert fires for m only, and only after `for`. */
function testFile(rulesFile: string, window: string, forMinutes: number) {
  const m = (extra: Record<string, string>) => at("ns", "m", extra);
  const h = (extra: Record<string, string>) => at("ns", "healthy", extra);
  const series: { series: string; values: string }[] = [];
  const add = (name: string, labels: string, values: string) => series.push({ series: `${name}${labels}`, values });
  for (const [sel, errors] of [
    [m, "10"],
    [h, "0"],
  ] as const) {
    add("liftoff_inference_requests_total", sel({ protocol: "v1", code: "200" }), "0+90x40");
    add("liftoff_inference_requests_total", sel({ protocol: "v1", code: "500" }), `0+${errors}x40`);
  }
  const buckets = (sel: typeof m, fast: boolean) => {
    add("liftoff_inference_request_duration_seconds_bucket", sel({ le: "0.1" }), fast ? "0+10x40" : "0+0x40");
    add("liftoff_inference_request_duration_seconds_bucket", sel({ le: "1" }), "0+10x40");
    add("liftoff_inference_request_duration_seconds_bucket", sel({ le: "+Inf" }), "0+10x40");
  };
  buckets(m, false);
  buckets(h, true);
  for (const [sel, b0, b1] of [
    [m, "10", "0"],
    [h, "5", "5"],
  ] as const) {
    for (const [bin, step] of [
      ["0", b0],
      ["1", b1],
    ] as const) {
      add("liftoff_drift_observations_total", sel({ source: "input", feature: "x", bin }), `0+${step}x40`);
      add("liftoff_drift_baseline_ratio", sel({ source: "input", feature: "x", bin }), "0.5x40");
    }
  }
  for (const [sel, right, wrong] of [
    [m, "1", "3"],
    [h, "4", "0"],
  ] as const) {
    add("liftoff_feedback_class_total", sel({ actual: "a", predicted: "a", correct: "true" }), `0+${right}x40`);
    add("liftoff_feedback_class_total", sel({ actual: "a", predicted: "b", correct: "false" }), `0+${wrong}x40`);
  }
  const labels = { namespace: "ns", model: "m", severity: "warning" };
  const ann = (summary: string, description: string) => ({ summary, description });
  const psiX = psi([10, 0], [0.5, 0.5]).toFixed(3);
  const expect = [
    [
      "LiftoffHighErrorRate",
      {},
      ann(
        "Model ns/m answers too many errors",
        `10.0 % of requests failed (5xx) over ${window}; the threshold is 5 %.`,
      ),
    ],
    [
      "LiftoffHighLatencyP99",
      {},
      ann("Model ns/m is slow", `p99 latency is 991 ms over ${window}; the threshold is 500 ms.`),
    ],
    [
      "LiftoffDrift",
      { source: "input", feature: "x" },
      ann(
        "input x of ns/m drifted",
        `PSI ${psiX} against the training baseline over ${window}; the threshold is 0.25.`,
      ),
    ],
    [
      "LiftoffLowAccuracy",
      {},
      ann("Live accuracy of ns/m is low", `Accuracy from feedback is 0.250 over ${window}; the minimum is 0.8.`),
    ],
  ] as const;
  return {
    rule_files: [rulesFile],
    evaluation_interval: "1m",
    tests: [
      {
        interval: "1m",
        input_series: series,
        alert_rule_test: expect.flatMap(([alertname, extra, annotations]) => [
          // Still pending: the breach has not lasted `for` yet.
          { eval_time: `${Math.max(1, forMinutes - 1)}m`, alertname, exp_alerts: [] },
          {
            eval_time: "20m",
            alertname,
            exp_alerts: [{ exp_labels: { alertname, ...labels, ...extra }, exp_annotations: annotations }],
          },
        ]),
      },
    ],
  };
}

async function promtoolTest(name: string, spec: object, window: string, forMinutes: number) {
  writeFileSync(join(dir, `${name}.rules.yaml`), stringify(spec));
  writeFileSync(join(dir, `${name}.test.yaml`), stringify(testFile(`${name}.rules.yaml`, window, forMinutes)));
  const { stdout } = await promtool(["test", "rules", `${name}.test.yaml`]);
  return stdout;
}

describe("alert rules (promtool test rules)", () => {
  it("the Helm chart's rules: each alert fires for the misbehaving model only, after its for", async () => {
    const spec = await chartRules();
    expect((await promtool(["check", "rules", ...[await writeRules("chart-check", spec)]])).stdout).toMatch(
      /SUCCESS: 4 rules found/,
    );
    expect(await promtoolTest("chart", spec, "10m", 2)).toMatch(/SUCCESS/);
  });

  it("the operator's PrometheusRule for one ModelDeployment", async () => {
    expect(await promtoolTest("operator", operatorRules(), "600s", 2)).toMatch(/SUCCESS/);
  });
});

async function writeRules(name: string, spec: object): Promise<string> {
  const file = `${name}.rules.yaml`;
  writeFileSync(join(dir, file), stringify(spec));
  return file;
}

describe("Grafana dashboard", () => {
  const json = JSON.parse(readFileSync(join(REPO_ROOT, "charts/liftoff/files/dashboard.json"), "utf8"));
  // Row headers hold no query.
  const exprs: string[] = json.panels.flatMap((p: { targets?: { expr: string }[] }) =>
    (p.targets ?? []).map((t) => t.expr),
  );

  it("has the panels users look at", () => {
    expect(json.panels.map((p: { title: string }) => p.title)).toEqual([
      "Request rate",
      "Latency quantiles",
      "Batch size",
      "Errors",
      "Drift per feature (PSI)",
      "Accuracy and recall",
      "Language models (gguf)",
      "Time to first token",
      "Inter-token latency",
      "Tokens per second",
      "Generation requests",
      "KV cache use",
      "Closed loop (retrain, canary, promote)",
      "Loop stage",
      "Loop decisions",
      "Live accuracy by track",
      "Captured records",
    ]);
    // The LLM row's header sits below the last panel above it, and its panels below the header.
    const row = json.panels.find((p: { type: string }) => p.type === "row");
    const above = json.panels.filter((p: { id: number }) => p.id < row.id);
    const bottom = Math.max(...above.map((p: { gridPos: { y: number; h: number } }) => p.gridPos.y + p.gridPos.h));
    expect(row.gridPos).toEqual({ h: 1, w: 24, x: 0, y: bottom });
    const below = json.panels.filter((p: { id: number }) => p.id > row.id);
    expect(Math.min(...below.map((p: { gridPos: { y: number } }) => p.gridPos.y))).toBe(bottom + 1);
  });

  it("every query parses (promtool check rules)", async () => {
    const concrete = (e: string) =>
      e
        .replaceAll("$__rate_interval", "1m")
        .replaceAll("$window", "10m")
        .replaceAll("$namespace", ".*")
        .replaceAll("$model", ".*");
    const file = await writeRules("dashboard", {
      groups: [
        { name: "dashboard", rules: exprs.map((e, i) => ({ record: `dashboard:query${i}`, expr: concrete(e) })) },
      ],
    });
    const { stdout } = await promtool(["check", "rules", file]);
    expect(stdout).toContain(`SUCCESS: ${exprs.length} rules found`);
  });

  it("queries only metrics the runtime and the operator export", async () => {
    const metrics = new RuntimeMetrics("m");
    const stats = readFileSync(join(REPO_ROOT, "runtime/src/serve/monitoring/testdata/penguins-stats.json"), "utf8");
    new Monitor(
      {
        model: "m",
        windowSeconds: 60,
        slots: 10,
        feedback: true,
        predictionTtlSeconds: 60,
        predictionStoreRows: 10,
        advertise: undefined,
      },
      { baseline: parseBaseline(stats) },
      {
        inputs: [{ name: "x", dtype: "float32", shape: [-1, 3] }],
        outputs: [{ name: "y", dtype: "float32", shape: [-1, 3] }],
        batched: true,
      },
      metrics.registry,
    );
    new LlmMetrics(metrics.registry, "m"); // a gguf model's series (the LLM row)
    new CaptureMetrics(metrics.registry, "m"); // spec.capture's series (the loop row)
    const exported = new Set<string>();
    // The loop row reads the operator's own series (stage, decisions, accuracy by track).
    for (const m of await createOperatorMetrics().registry.getMetricsAsJSON()) exported.add(m.name);
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      exported.add(m.name);
      if (String(m.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) exported.add(m.name + s);
    }
    const used = new Set(exprs.flatMap((e) => e.match(/liftoff_[a-z0-9_]+/g) ?? []));
    used.add("liftoff_model_ready"); // the variables' query
    expect(used.size).toBeGreaterThan(5);
    for (const name of used) expect(exported, name).toContain(name);
  });
});
