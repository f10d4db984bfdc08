// OpenBao as one more cluster component (pure): where it keeps its state, its config file and how it is started.
// Integrated storage (raft, one node) under .liftoff/<cluster>/openbao/data: OpenBao 2.x has no "file" backend.
import { join } from "node:path";
import type { ComponentSpec } from "../cluster/components.js";
import type { ClusterConfig } from "../cluster/config.js";

export interface OpenBaoLayout {
  dir: string;
  dataDir: string;
  configFile: string;
  /** Root token and unseal key (0600): never printed, only read by cluster:up and the test support. */
  initFile: string;
  /** Where host-side and pod-side clients reach it (written by cluster:up, no secret in it). */
  connectionFile: string;
}

export function openbaoLayout(config: ClusterConfig): OpenBaoLayout {
  const dir = join(config.stateDir, "openbao");
  return {
    dir,
    dataDir: join(dir, "data"),
    configFile: join(dir, "config.hcl"),
    initFile: join(dir, "init.json"),
    connectionFile: join(dir, "connection.json"),
  };
}

export interface OpenBaoTls {
  cert: string;
  key: string;
}

/** The server's HCL: TLS on loopback only; the node agent forwards the bridge gateway's port to it. */
export function openbaoConfig(config: ClusterConfig, layout: OpenBaoLayout, tls: OpenBaoTls): string {
  const api = `127.0.0.1:${config.ports.openbao}`;
  const cluster = `127.0.0.1:${config.ports.openbaoCluster}`;
  return `# Written by cluster:up (devcluster/openbao/server.ts); edits are overwritten.
storage "raft" {
  path    = ${JSON.stringify(layout.dataDir)}
  node_id = "liftoff-${config.name}"
  # Raft's production timings (the default 5 scales them up); one local node elects itself sooner.
  performance_multiplier = 1
}
listener "tcp" {
  address         = "${api}"
  cluster_address = "${cluster}"
  tls_cert_file   = ${JSON.stringify(tls.cert)}
  tls_key_file    = ${JSON.stringify(tls.key)}
  tls_min_version = "tls12"
}
api_addr     = "https://${api}"
cluster_addr = "https://${cluster}"
ui           = false
log_level    = "warn"
`;
}

export function openbaoAddress(config: ClusterConfig): string {
  return `https://127.0.0.1:${config.ports.openbao}`;
}

export function openbaoComponent(
  config: ClusterConfig,
  layout: OpenBaoLayout,
  bao: string,
  caCert: string,
): ComponentSpec {
  return {
    name: "openbao",
    command: bao,
    args: ["server", `-config=${layout.configFile}`],
    // Keeps the CLI's own environment from pointing the server at anything else.
    env: { BAO_ADDR: "", VAULT_ADDR: "" },
    // Healthy = answering; initialising and unsealing come after (devcluster/openbao/init.ts).
    health: {
      url: `${openbaoAddress(config)}/v1/sys/health?uninitcode=200&sealedcode=200&standbycode=200`,
      caCert,
    },
    startTimeoutSeconds: 30,
  };
}
