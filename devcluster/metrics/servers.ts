// metrics-server and KEDA (operator + metrics adapter) as cluster:up components (pure): binaries, flags, health.
// The two aggregated API servers listen on the bridge gateway, so the API server reaches them through a v1
// Endpoints address (Endpoints refuse loopback addresses); everything else they open stays on loopback.
import { join } from "node:path";
import type { Binaries, ComponentSpec } from "../cluster/components.js";
import type { ClusterConfig } from "../cluster/config.js";

/** Namespace of KEDA's cluster objects (its Service, leases, the secrets TriggerAuthentications read). */
export const KEDA_NAMESPACE = "keda";

export interface MetricsKubeconfigs {
  metricsServer: string;
  kedaOperator: string;
  kedaMetricsApiserver: string;
}

export interface MetricsTls {
  /** metrics-server's serving pair (SANs: the gateway, metrics-server.kube-system.svc). */
  metricsServer: { cert: string; key: string };
  /**
   * KEDA's cert dir: ca.crt, tls.crt, tls.key. The operator's gRPC server and the adapter's gRPC client verify each
   * other with it (mTLS), and the adapter serves external.metrics.k8s.io with the same pair.
   */
  kedaCertDir: string;
}

function kedaCertDir(config: ClusterConfig): string {
  return join(config.stateDir, "keda", "certs");
}

/** Where prepareMetrics (metrics.ts) puts the certificates (pure). */
export function metricsTlsPaths(config: ClusterConfig, pkiDir: string): MetricsTls {
  return {
    metricsServer: {
      cert: join(pkiDir, "metrics-server-serving.crt"),
      key: join(pkiDir, "metrics-server-serving.key"),
    },
    kedaCertDir: kedaCertDir(config),
  };
}

export function metricsKubeconfigPaths(config: ClusterConfig): MetricsKubeconfigs {
  return {
    metricsServer: join(config.stateDir, "metrics-server.kubeconfig"),
    kedaOperator: join(config.stateDir, "keda-operator.kubeconfig"),
    kedaMetricsApiserver: join(config.stateDir, "keda-metrics-apiserver.kubeconfig"),
  };
}

export function metricsServerComponent(
  config: ClusterConfig,
  bins: Pick<Binaries, "metricsServer">,
  kubeconfig: string,
  tls: MetricsTls["metricsServer"],
): ComponentSpec {
  const p = config.ports;
  return {
    name: "metrics-server",
    command: bins.metricsServer,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--bind-address=${config.podGateway}`,
      `--secure-port=${p.metricsServer}`,
      `--tls-cert-file=${tls.cert}`,
      `--tls-private-key-file=${tls.key}`,
      // The node agent's kubelet API serves the API server's certificate, which does not name the nodes.
      "--kubelet-insecure-tls",
      "--kubelet-preferred-address-types=InternalIP",
      "--kubelet-use-node-status-port",
      // Its default is 60 s (15 s in the upstream manifest); 10 s is the least it accepts.
      "--metric-resolution=10s",
      // It must stay below the resolution; the node agent's kubelet API is on this machine.
      "--kubelet-request-timeout=5s",
      "--v=1",
    ],
    health: { url: `https://${config.podGateway}:${p.metricsServer}/livez` },
    startTimeoutSeconds: 60,
  };
}

const KEDA_ENV = {
  // Every namespace.
  WATCH_NAMESPACE: "",
  KEDA_CLUSTER_OBJECT_NAMESPACE: KEDA_NAMESPACE,
  POD_NAMESPACE: KEDA_NAMESPACE,
};

export function kedaOperatorComponent(
  config: ClusterConfig,
  bins: Pick<Binaries, "kedaOperator">,
  kubeconfig: string,
  certDir: string,
): ComponentSpec {
  const p = config.ports;
  return {
    name: "keda-operator",
    command: bins.kedaOperator,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--metrics-bind-address=127.0.0.1:${p.kedaOperatorMetrics}`,
      `--health-probe-bind-address=127.0.0.1:${p.kedaOperatorHealth}`,
      `--metrics-service-bind-address=127.0.0.1:${p.kedaOperatorGrpc}`,
      `--cert-dir=${certDir}`,
      // Scalers' extra CA folder: none here (the default /custom/ca does not exist on a host).
      `--ca-dir=${certDir}`,
      "--leader-elect=false",
      "--zap-log-level=info",
      "--zap-encoder=console",
    ],
    env: { ...KEDA_ENV, KUBECONFIG: kubeconfig },
    health: { url: `http://127.0.0.1:${p.kedaOperatorHealth}/readyz` },
    startTimeoutSeconds: 60,
  };
}

export function kedaMetricsApiserverComponent(
  config: ClusterConfig,
  bins: Pick<Binaries, "kedaAdapter">,
  kubeconfig: string,
  certDir: string,
): ComponentSpec {
  const p = config.ports;
  return {
    name: "keda-metrics-apiserver",
    command: bins.kedaAdapter,
    args: [
      `--kubeconfig=${kubeconfig}`,
      `--lister-kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      `--bind-address=${config.podGateway}`,
      `--secure-port=${p.kedaMetricsApiserver}`,
      `--cert-dir=${certDir}`,
      `--tls-cert-file=${join(certDir, "tls.crt")}`,
      `--tls-private-key-file=${join(certDir, "tls.key")}`,
      `--metrics-service-address=127.0.0.1:${p.kedaOperatorGrpc}`,
      `--port=${p.kedaAdapterMetrics}`,
      "--zap-log-level=info",
      "--zap-encoder=console",
    ],
    env: { ...KEDA_ENV, KUBECONFIG: kubeconfig },
    health: { url: `https://${config.podGateway}:${p.kedaMetricsApiserver}/readyz` },
    startTimeoutSeconds: 60,
  };
}

/** The components that serve an aggregated API: they need the bridge gateway (netns mode) to be reachable. */
export const GATEWAY_COMPONENTS = ["metrics-server", "keda-operator", "keda-metrics-apiserver"];

export function metricsComponents(config: ClusterConfig, bins: Binaries, pkiDir: string): ComponentSpec[] {
  const kubeconfigs = metricsKubeconfigPaths(config);
  const tls = metricsTlsPaths(config, pkiDir);
  return [
    metricsServerComponent(config, bins, kubeconfigs.metricsServer, tls.metricsServer),
    kedaOperatorComponent(config, bins, kubeconfigs.kedaOperator, tls.kedaCertDir),
    kedaMetricsApiserverComponent(config, bins, kubeconfigs.kedaMetricsApiserver, tls.kedaCertDir),
  ];
}
