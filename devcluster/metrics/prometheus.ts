// The cluster-wide Prometheus (the binary of hack/build-prometheus.sh) as a cluster:up component: it discovers
// every namespace's pods through the API server and scrapes those annotated prometheus.io/scrape (what the operator
// sets when there is no ServiceMonitor) every second, with the target labels `namespace` and `pod` — the series
// KEDA's prometheus triggers query. Its data lives in .liftoff/<name>/prometheus/; loopback only, and pods reach it
// on the bridge gateway (the node agent forwards the port). The connection file names both addresses.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import type { ComponentSpec } from "../cluster/components.js";
import { type ClusterConfig, clusterConfig } from "../cluster/config.js";
import { ClusterError } from "../cluster/errors.js";

interface PrometheusLayout {
  dir: string;
  dataDir: string;
  configFile: string;
  connectionFile: string;
}

function prometheusLayout(config: ClusterConfig): PrometheusLayout {
  const dir = join(config.stateDir, "prometheus");
  return {
    dir,
    dataDir: join(dir, "data"),
    configFile: join(dir, "prometheus.yml"),
    connectionFile: join(dir, "connection.json"),
  };
}

/** The scrape configuration (pure): all namespaces' annotated pods, 1 s, labels namespace and pod. */
export function prometheusConfig(kubeconfig: string): object {
  return {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    scrape_configs: [
      {
        job_name: "kubernetes-pods",
        kubernetes_sd_configs: [{ role: "pod", kubeconfig_file: kubeconfig }],
        relabel_configs: [
          { source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], action: "keep", regex: "true" },
          // A finished pod keeps its IP in the API for a while; it has nothing to scrape.
          { source_labels: ["__meta_kubernetes_pod_phase"], action: "drop", regex: "Succeeded|Failed" },
          {
            source_labels: ["__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
            regex: "(.+);(.+)",
            target_label: "__address__",
            replacement: "$1:$2",
          },
          {
            source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
            regex: "(.+)",
            target_label: "__metrics_path__",
          },
          { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
          { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
        ],
      },
    ],
  };
}

export function prometheusComponent(config: ClusterConfig, binary: string): ComponentSpec {
  const layout = prometheusLayout(config);
  const listen = `127.0.0.1:${config.ports.prometheus}`;
  return {
    name: "prometheus",
    command: binary,
    args: [
      `--config.file=${layout.configFile}`,
      `--storage.tsdb.path=${layout.dataDir}`,
      // A development cluster: a few hours of 1 s samples are plenty and keep the folder small.
      "--storage.tsdb.retention.time=6h",
      `--web.listen-address=${listen}`,
      "--log.level=warn",
    ],
    health: { url: `http://${listen}/-/ready` },
    startTimeoutSeconds: 60,
  };
}

/** Before start: the data folder and the config (discovery through the admin kubeconfig). */
export function preparePrometheus(config: ClusterConfig): void {
  const layout = prometheusLayout(config);
  mkdirSync(layout.dataDir, { recursive: true });
  writeFileSync(layout.configFile, stringify(prometheusConfig(config.kubeconfig)));
}

/** Where clients reach the cluster's Prometheus; no secret in it. */
export interface PrometheusConnection {
  /** For processes on the host (tests, the operator run from a shell, KEDA). */
  url: string;
  /** For pods: the bridge gateway in netns mode (the node agent forwards the port), loopback in the fallback mode. */
  podUrl: string;
}

export function writePrometheusConnection(config: ClusterConfig, gateway: string | undefined): PrometheusConnection {
  const conn: PrometheusConnection = {
    url: `http://127.0.0.1:${config.ports.prometheus}`,
    podUrl: `http://${gateway ?? "127.0.0.1"}:${config.ports.prometheus}`,
  };
  writeFileSync(prometheusLayout(config).connectionFile, `${JSON.stringify(conn, null, 2)}\n`);
  return conn;
}

function readPrometheusConnection(config: ClusterConfig): PrometheusConnection {
  const file = prometheusLayout(config).connectionFile;
  if (!existsSync(file))
    throw new ClusterError(`cluster "${config.name}" has no Prometheus connection file ${file}; run cluster:up`);
  return JSON.parse(readFileSync(file, "utf8")) as PrometheusConnection;
}

/** The host URL of a running cluster's Prometheus (e.g. the operator's --prometheus-url in tests). */
export function clusterPrometheusUrl(clusterName: string): string {
  return readPrometheusConnection(clusterConfig(clusterName)).url;
}
