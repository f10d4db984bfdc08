// A real Prometheus for integration tests (hack/build-prometheus.sh, the `prometheus` the global setup provides):
// it discovers one namespace's pods through the local API server (kubernetes_sd_configs, role pod) and scrapes those
// the operator annotated prometheus.io/scrape (as it does when there is no ServiceMonitor), every second. Started in
// its own process group; stop() ends that group.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { pollUntil } from "./poll.js";

export interface TestPrometheus {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The instant query's vector: each series' labels and value. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]>;
  /** Waits until `n` targets of the namespace are up. */
  waitTargets(n: number, timeoutMs?: number): Promise<void>;
  stop(): void;
}

export async function startPrometheus(o: {
  binary: string;
  kubeconfig: string;
  namespace: string;
  port: number;
  /** A rule file's body (e.g. the spec of the PrometheusRule the operator wrote). */
  rules?: object;
  /** Host targets scraped as they are (e.g. an operator process's /metrics), one job each. */
  staticTargets?: { job: string; targets: string[] }[];
}): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "liftoff-prom-"));
  if (o.rules) writeFileSync(join(dir, "rules.yaml"), stringify(o.rules));
  writeFileSync(
    join(dir, "prometheus.yml"),
    stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s" },
      ...(o.rules ? { rule_files: ["rules.yaml"] } : {}),
      scrape_configs: [
        {
          job_name: "liftoff-models",
          kubernetes_sd_configs: [{ role: "pod", kubeconfig_file: o.kubeconfig, namespaces: { names: [o.namespace] } }],
          // The pods' prometheus.io/* annotations (set by the operator when there is no ServiceMonitor).
          relabel_configs: [
            { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], action: "keep", regex: "true" },
            {
              source_labels: ["__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
              regex: "(.+);(.+)",
              target_label: "__address__",
              replacement: "$1:$2",
            },
            { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
            { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
          ],
        },
        ...(o.staticTargets ?? []).map((t) => ({ job_name: t.job, static_configs: [{ targets: t.targets }] })),
      ],
    }),
  );
  const url = `http://127.0.0.1:${o.port}`;
  const child = spawn(
    o.binary,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${o.port}`,
    ],
    { cwd: dir, detached: true, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (d) => {
    log = (log + String(d)).slice(-4000);
  });
  const stop = () => {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
  };
  try {
    await pollUntil("Prometheus ready", async () => (await fetch(`${url}/-/ready`)).ok, {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  } catch (err) {
    stop();
    throw new Error(`${(err as Error).message}: ${log.split("\n").slice(-3).join(" ")}`);
  }
  return {
    url,
    stop,
    async query(expr) {
      const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await r.json()) as {
        status: string;
        error?: string;
        data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      if (body.status !== "success" || body.data.resultType !== "vector")
        throw new Error(`query ${expr}: ${body.error ?? body.data.resultType}`);
      return body.data.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
    },
    async waitTargets(n, timeoutMs = 60_000) {
      await pollUntil(
        `Prometheus scrapes ${n} pod${n === 1 ? "" : "s"} of ${o.namespace}`,
        async () => {
          const r = (await (await fetch(`${url}/api/v1/targets`)).json()) as {
            data: { activeTargets: { health: string; labels: Record<string, string> }[] };
          };
          return (
            r.data.activeTargets.filter((t) => t.health === "up" && t.labels.namespace === o.namespace).length === n
          );
        },
        { timeoutMs, intervalMs: 500 },
      );
    },
  };
}
