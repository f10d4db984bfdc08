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
  /**
   * The file audit device's log (JSON lines, secrets HMACed): the operator tails it for the DataSets' access record
   * (operator/src/access/, --vault-audit-file).
   */
  auditFile: string;
}

export function openbaoLayout(config: ClusterConfig): OpenBaoLayout {
  const dir = join(config.stateDir, "openbao");
  return {
    dir,
    dataDir: join(dir, "data"),
    configFile: join(dir, "config.hcl"),
    initFile: join(dir, "init.json"),
    connectionFile: join(dir, "connection.json"),
    auditFile: join(dir, "audit.log"),
  };
}

export interface OpenBaoTls {
  cert: string;
  key: string;
}

/** The file audit device's path in Vault (sys/audit): one per server, declared in the config file. */
const AUDIT_DEVICE_PATH = "liftoff-access";

/**
 * The server's HCL: TLS on loopback only; the node agent forwards the bridge gateway's port to it. The audit device is
 * declared here because OpenBao 2.x refuses to enable audit devices through the API ("use declarative, config-based
 * audit device management") unless the server allows it with unsafe_allow_api_audit_creation, which we do not.
 */
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
audit "file" "${AUDIT_DEVICE_PATH}" {
  description = "every request, for Liftoff's access record (docs/vault.md)"
  options {
    file_path = ${JSON.stringify(layout.auditFile)}
    mode      = "0600"
  }
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
