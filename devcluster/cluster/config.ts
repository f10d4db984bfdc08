// Where a local cluster keeps its state and which loopback ports it uses (pure).
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_NODES } from "../node-agent/config.js";
import { netnsPlan } from "../node-agent/pod-network.js";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

export interface ClusterPorts {
  etcdClient: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
  scheduler: number;
  /** The node agent's /healthz and /readyz. */
  nodeAgent: number;
  /** The fake nodes' kubelet API (for `kubectl logs`), on each node's own address. */
  kubelet: number;
  /** OpenBao's API (TLS); pods reach it on the bridge gateway, where the node agent forwards this port. */
  openbao: number;
  /** OpenBao's cluster (raft) port, loopback only. */
  openbaoCluster: number;
  /**
   * The S3 API of SeaweedFS (plain HTTP); pods reach it on the bridge gateway like OpenBao. The nine ports after it
   * are weed's internal ones, loopback only (devcluster/seaweedfs/server.ts weedPortsFrom). base+25 and base+40/41
   * are taken by tests' own servers (Postgres, Prometheus).
   */
  s3: number;
  /** The cluster-wide Prometheus (devcluster/metrics), loopback; pods reach it on the bridge gateway. */
  prometheus: number;
  /** metrics-server's secure port (metrics.k8s.io), on the bridge gateway: the API server reaches it via Endpoints. */
  metricsServer: number;
  /** KEDA operator's gRPC metrics service (its adapter's upstream), loopback. */
  kedaOperatorGrpc: number;
  /** KEDA operator's own /metrics and its health probes, loopback. */
  kedaOperatorMetrics: number;
  kedaOperatorHealth: number;
  /** KEDA's metrics apiserver (external.metrics.k8s.io), on the bridge gateway like metrics-server. */
  kedaMetricsApiserver: number;
  /** KEDA adapter's own /metrics (it binds every interface; KEDA offers no address flag). */
  kedaAdapterMetrics: number;
}

export interface ClusterConfig {
  /** "local" for `npm run cluster:up`, "test" for the integration tests: each has its own folder and ports. */
  name: string;
  stateDir: string;
  logDir: string;
  pkiDir: string;
  kubeconfig: string;
  ports: ClusterPorts;
  serviceCIDR: string;
  /** Fake nodes the node agent registers (`LIFTOFF_NODES`, see devcluster/node-agent/config.ts). */
  nodes: string;
  /** Pods get loopback addresses 127.N.<node>.<pod>; N differs per cluster so two clusters never collide. */
  podNetwork: string;
  /** The pod bridge's address (netns mode): pods reach the API server there, so its certificate names it. */
  podGateway: string;
}

const DEFAULT_PORT_BASE: Record<string, number> = { local: 16440, test: 17440, bench: 20440 };

export function portsFrom(base: number): ClusterPorts {
  return {
    etcdClient: base,
    etcdPeer: base + 1,
    apiserver: base + 3,
    controllerManager: base + 7,
    scheduler: base + 9,
    nodeAgent: base + 11,
    kubelet: base + 12,
    openbao: base + 30,
    openbaoCluster: base + 31,
    s3: base + 60,
    prometheus: base + 70,
    metricsServer: base + 72,
    kedaOperatorGrpc: base + 74,
    kedaOperatorMetrics: base + 75,
    kedaOperatorHealth: base + 76,
    kedaMetricsApiserver: base + 78,
    kedaAdapterMetrics: base + 79,
  };
}

export function clusterConfig(name = "local", env: NodeJS.ProcessEnv = process.env): ClusterConfig {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`cluster name "${name}" must be lowercase letters, digits and '-'`);
  const stateDir = join(REPO_ROOT, ".liftoff", name);
  const baseText = env.LIFTOFF_PORT_BASE;
  const base = baseText === undefined ? (DEFAULT_PORT_BASE[name] ?? 18440) : Number(baseText);
  if (!Number.isInteger(base) || base < 1024 || base > 65000) {
    throw new Error(`LIFTOFF_PORT_BASE must be an integer between 1024 and 65000, got "${baseText}"`);
  }
  const podNet = 64 + (Math.floor(base / 1000) % 100);
  return {
    name,
    stateDir,
    logDir: join(stateDir, "logs"),
    pkiDir: join(stateDir, "pki"),
    kubeconfig: join(stateDir, "kubeconfig"),
    ports: portsFrom(base),
    serviceCIDR: "10.96.0.0/16",
    nodes: env.LIFTOFF_NODES || DEFAULT_NODES,
    podNetwork: `127.${podNet}`,
    podGateway: netnsPlan(`127.${podNet}`).gateway,
  };
}
