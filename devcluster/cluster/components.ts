// The control-plane processes, as pure data: binary, flags, health endpoint and start order.
// Later parts (the node agent) are appended to this list, so `cluster:up` starts them the same way.
import { join } from "node:path";
import { metricsPipelineComponents } from "../metrics/metrics.js";
import { type AgentEntry, nodeAgentEntry } from "../node-agent/compiled.js";
import { openbaoComponent, openbaoLayout } from "../openbao/server.js";
import { seaweedfsComponent } from "../seaweedfs/seaweedfs.js";
import { type ClusterConfig, REPO_ROOT } from "./config.js";
import { FRONT_PROXY_CLIENT, IDENTITIES, type Pki } from "./pki.js";

export interface HealthCheck {
  url: string;
  /** Present a client certificate (the API server's readyz needs an authenticated caller). */
  clientCert?: { cert: string; key: string };
  caCert?: string;
}

export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  health: HealthCheck;
  /** Seconds to wait for health before giving up. */
  startTimeoutSeconds: number;
}

export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
  helm: string;
  bao: string;
  /** SeaweedFS's server: the S3 API of the local cluster. */
  weed: string;
  /** promtool, for the rule tests (not part of the cluster). */
  promtool: string;
  /** The metrics pipeline (devcluster/metrics): the cluster-wide Prometheus, metrics-server, KEDA. */
  prometheus: string;
  metricsServer: string;
  kedaOperator: string;
  kedaAdapter: string;
}

export interface ComponentKubeconfigs {
  controllerManager: string;
  scheduler: string;
}

const loopback = "127.0.0.1";

export function controlPlaneComponents(
  config: ClusterConfig,
  bins: Binaries,
  pki: Pki,
  kubeconfigs: ComponentKubeconfigs,
): ComponentSpec[] {
  const p = config.ports;
  const etcdURL = `http://${loopback}:${p.etcdClient}`;
  const peerURL = `http://${loopback}:${p.etcdPeer}`;
  return [
    {
      name: "etcd",
      command: bins.etcd,
      args: [
        "--name=liftoff",
        `--data-dir=${join(config.stateDir, "etcd")}`,
        `--listen-client-urls=${etcdURL}`,
        `--advertise-client-urls=${etcdURL}`,
        `--listen-peer-urls=${peerURL}`,
        `--initial-advertise-peer-urls=${peerURL}`,
        `--initial-cluster=liftoff=${peerURL}`,
        // A throwaway development store: durability is not worth an fsync per write here.
        "--unsafe-no-fsync",
        "--log-level=warn",
      ],
      health: { url: `${etcdURL}/health` },
      startTimeoutSeconds: 30,
    },
    {
      name: "kube-apiserver",
      command: bins.kubeApiserver,
      args: [
        `--etcd-servers=${etcdURL}`,
        `--bind-address=${loopback}`,
        `--advertise-address=${loopback}`,
        `--secure-port=${p.apiserver}`,
        `--tls-cert-file=${pki.serverCert}`,
        `--tls-private-key-file=${pki.serverKey}`,
        `--client-ca-file=${pki.caCert}`,
        "--authorization-mode=Node,RBAC",
        // The aggregation layer (metrics.k8s.io from metrics-server, external.metrics.k8s.io from KEDA): the API
        // server proxies to them as front-proxy-client, naming the caller in these headers; routing goes to the
        // Service's Endpoints (the bridge gateway), since no kube-proxy makes ClusterIPs reachable here.
        `--requestheader-client-ca-file=${pki.frontProxyCaCert}`,
        `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        `--proxy-client-cert-file=${pki.frontProxyClient.cert}`,
        `--proxy-client-key-file=${pki.frontProxyClient.key}`,
        "--enable-aggregator-routing=true",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        `--service-cluster-ip-range=${config.serviceCIDR}`,
        "--allow-privileged=true",
        "--profiling=false",
        "--v=1",
      ],
      health: {
        url: `https://${loopback}:${p.apiserver}/readyz`,
        caCert: pki.caCert,
        clientCert: pki.client(IDENTITIES.admin),
      },
      startTimeoutSeconds: 90,
    },
    {
      name: "kube-controller-manager",
      command: bins.kubeControllerManager,
      args: [
        `--kubeconfig=${kubeconfigs.controllerManager}`,
        `--authentication-kubeconfig=${kubeconfigs.controllerManager}`,
        `--authorization-kubeconfig=${kubeconfigs.controllerManager}`,
        `--bind-address=${loopback}`,
        `--secure-port=${p.controllerManager}`,
        `--cert-dir=${join(config.stateDir, "kube-controller-manager")}`,
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        `--root-ca-file=${pki.caCert}`,
        "--use-service-account-credentials=true",
        `--cluster-signing-cert-file=${pki.caCert}`,
        `--cluster-signing-key-file=${pki.caKey}`,
        `--service-cluster-ip-range=${config.serviceCIDR}`,
        `--cluster-name=liftoff-${config.name}`,
        // One instance on one machine: skipping the lease election saves ~15 s at every start.
        "--leader-elect=false",
        "--controllers=*",
        // The default 20 QPS makes the Deployment controller the bottleneck once hundreds of objects change at once.
        "--kube-api-qps=300",
        "--kube-api-burst=600",
        "--concurrent-deployment-syncs=16",
        "--concurrent-replicaset-syncs=16",
        // HPAs (and KEDA's) re-evaluate every 5 s instead of Kubernetes' default 15 s: scaling reacts within seconds.
        "--horizontal-pod-autoscaler-sync-period=5s",
        "--v=1",
      ],
      health: { url: `https://${loopback}:${p.controllerManager}/healthz` },
      startTimeoutSeconds: 60,
    },
    {
      name: "kube-scheduler",
      command: bins.kubeScheduler,
      args: [
        `--kubeconfig=${kubeconfigs.scheduler}`,
        `--authentication-kubeconfig=${kubeconfigs.scheduler}`,
        `--authorization-kubeconfig=${kubeconfigs.scheduler}`,
        `--bind-address=${loopback}`,
        `--secure-port=${p.scheduler}`,
        `--cert-dir=${join(config.stateDir, "kube-scheduler")}`,
        "--leader-elect=false",
        "--v=1",
      ],
      health: { url: `https://${loopback}:${p.scheduler}/healthz` },
      startTimeoutSeconds: 60,
    },
  ];
}

/**
 * The node agent (devcluster/node-agent): registers the fake nodes and runs their pods as local processes.
 * Compiled into one file first (node-agent/compiled.ts: its start under tsx took seconds), or run from source with
 * this repo's tsx when that fails, so a clean clone needs nothing but `npm ci` either way.
 */
export function nodeAgentComponent(
  config: ClusterConfig,
  pki: Pick<Pki, "serverCert" | "serverKey">,
  nodeBinary: string = process.execPath,
  entry: AgentEntry = nodeAgentEntry(REPO_ROOT),
): ComponentSpec {
  if (entry.why !== undefined) console.error(`node-agent: ${entry.why}`);
  return {
    name: "node-agent",
    command: nodeBinary,
    args: [
      ...entry.args,
      `--kubeconfig=${config.kubeconfig}`,
      `--state-dir=${config.stateDir}`,
      `--health-port=${config.ports.nodeAgent}`,
      `--kubelet-port=${config.ports.kubelet}`,
      // The kubelet API's serving certificate (the API server does not verify it); any certificate would do.
      `--tls-cert=${pki.serverCert}`,
      `--tls-key=${pki.serverKey}`,
      `--nodes=${config.nodes}`,
      `--pod-network=${config.podNetwork}`,
      `--repo-root=${REPO_ROOT}`,
      `--forward-ports=${config.ports.openbao},${config.ports.s3},${config.ports.prometheus}`,
    ],
    // Ready once its nodes are registered and schedulable (the not-ready taint is gone).
    health: { url: `http://${loopback}:${config.ports.nodeAgent}/readyz` },
    startTimeoutSeconds: 60,
  };
}

/** Everything `cluster:up` starts, in order. */
export function clusterComponents(
  config: ClusterConfig,
  bins: Binaries,
  pki: Pki,
  kubeconfigs: ComponentKubeconfigs,
): ComponentSpec[] {
  return [
    ...controlPlaneComponents(config, bins, pki, kubeconfigs),
    openbaoComponent(config, openbaoLayout(config), bins.bao, pki.caCert),
    seaweedfsComponent(config, bins.weed),
    nodeAgentComponent(config, pki),
    ...metricsPipelineComponents(config, bins, pki.dir),
  ];
}

/** Components that must be healthy, one after the other, before any other starts. */
const FOUNDATION = ["etcd", "kube-apiserver"];

/**
 * The start order in waves: etcd, then the API server, then everything else side by side, since each of the rest
 * needs only the API server (the node agent's nodes turn schedulable once the controller-manager runs, which its
 * readiness already waits for).
 */
export function startWaves(components: ComponentSpec[]): ComponentSpec[][] {
  const first = FOUNDATION.flatMap((n) => components.filter((c) => c.name === n)).map((c) => [c]);
  const rest = components.filter((c) => !FOUNDATION.includes(c.name));
  return rest.length > 0 ? [...first, rest] : first;
}
