// The metrics pipeline's part of cluster:up: the cluster-wide Prometheus (always) and, when pods live in network
// namespaces, metrics-server (metrics.k8s.io) and KEDA (operator + external.metrics.k8s.io). The aggregated API
// servers listen on the pod bridge's gateway, which the node agent creates: they start once the agent reports its
// network, in the same last wave as everything else. In the loopback fallback there is no address the API server may
// route an APIService to (Endpoints refuse loopback), so they are skipped with one logged reason.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Binaries, ComponentSpec } from "../cluster/components.js";
import type { ClusterConfig } from "../cluster/config.js";
import { ClusterError } from "../cluster/errors.js";
import { issueServingCert, type Pki } from "../cluster/pki.js";
import { type AgentNetwork, agentNetwork } from "../node-agent/agent-status.js";
import {
  applyAll,
  EXTERNAL_METRICS_API,
  KEDA_METRICS_SERVICE,
  kedaCrds,
  kedaManifests,
  METRICS_API,
  METRICS_SERVER_SERVICE,
  metricsServerManifests,
  objectPath,
  waitCondition,
} from "./apis.js";
import { preparePrometheus, prometheusComponent } from "./prometheus.js";
import { type MetricsTls, metricsComponents, metricsTlsPaths } from "./servers.js";

/** The serving certificates (cluster CA) and KEDA's cert dir; made once, like the rest of the PKI. */
function metricsTls(config: ClusterConfig, pki: Pki): MetricsTls {
  const svc = (s: { namespace: string; name: string }) => [`${s.name}.${s.namespace}.svc`, `${s.name}.${s.namespace}`];
  const metricsServer = issueServingCert(
    pki,
    "metrics-server-serving",
    [config.podGateway, "127.0.0.1"],
    [...svc(METRICS_SERVER_SERVICE), "localhost"],
  );
  const keda = issueServingCert(
    pki,
    "keda-serving",
    [config.podGateway, "127.0.0.1"],
    [
      ...svc(KEDA_METRICS_SERVICE),
      ...svc({ namespace: KEDA_METRICS_SERVICE.namespace, name: "keda-operator" }),
      "localhost",
    ],
    true,
  );
  const paths = metricsTlsPaths(config, pki.dir);
  if (metricsServer.cert !== paths.metricsServer.cert) throw new ClusterError("internal: metrics-server cert path");
  mkdirSync(paths.kedaCertDir, { recursive: true, mode: 0o700 });
  copyFileSync(pki.caCert, join(paths.kedaCertDir, "ca.crt"));
  copyFileSync(keda.cert, join(paths.kedaCertDir, "tls.crt"));
  copyFileSync(keda.key, join(paths.kedaCertDir, "tls.key"));
  return paths;
}

/** Before start: Prometheus' config and data folder, the servers' certificates. */
export function prepareMetrics(config: ClusterConfig, pki: Pki): MetricsTls {
  preparePrometheus(config);
  return metricsTls(config, pki);
}

/** Every metrics component, Prometheus first; the others are GATEWAY_COMPONENTS (pure). */
export function metricsPipelineComponents(config: ClusterConfig, bins: Binaries, pkiDir: string): ComponentSpec[] {
  return [prometheusComponent(config, bins.prometheus), ...metricsComponents(config, bins, pkiDir)];
}

/** The node agent's pod network, once it has set it up (it answers /status right after). */
export async function waitAgentNetwork(config: ClusterConfig, timeoutMs = 60_000): Promise<AgentNetwork> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const net = await agentNetwork(config.ports.nodeAgent);
    if (net) return net;
    if (Date.now() > deadline)
      throw new ClusterError(`the node agent did not report its pod network within ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** KEDA's cache folder (hack/build-keda.sh): the binaries, crds/ and rbac/ side by side. */
function kedaFolder(bins: Pick<Binaries, "kedaOperator">): string {
  return dirname(bins.kedaOperator);
}

/** Before the servers start: KEDA's CRDs (Established: its operator watches them at once), roles, APIServices. */
export async function applyMetricsApis(kc: KubeConfig, config: ClusterConfig, pki: Pki, bins: Binaries): Promise<void> {
  const ca = readFileSync(pki.caCert, "utf8");
  const crds = kedaCrds(join(kedaFolder(bins), "crds"));
  const roles = readFileSync(join(kedaFolder(bins), "rbac", "role.yaml"), "utf8");
  await applyAll(kc, [
    ...crds,
    ...metricsServerManifests(config.podGateway, config.ports.metricsServer, ca),
    ...kedaManifests(roles, config.podGateway, config.ports.kedaMetricsApiserver, ca),
  ]);
  await Promise.all(crds.map((crd) => waitCondition(kc, objectPath(crd), "Established", 30_000)));
}

/** After the servers are healthy: both APIServices Available (the aggregator reached them through the gateway). */
export async function waitMetricsApis(kc: KubeConfig, timeoutMs = 60_000): Promise<void> {
  for (const name of [METRICS_API, EXTERNAL_METRICS_API]) {
    await waitCondition(kc, `/apis/apiregistration.k8s.io/v1/apiservices/${name}`, "Available", timeoutMs);
  }
}
