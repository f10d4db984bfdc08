// Operator configuration from flags and environment (flag wins), validated at start with one-line errors (pure).
import { hostname } from "node:os";
import { isAbsolute, join } from "node:path";
import { parseArgs } from "node:util";
import { egressAllowEntries, egressEntryKind } from "./contract/egress.js";
import type { VaultSettings } from "./vault/pod-identity.js";

export interface OperatorConfig {
  kubeconfig?: string;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  runtimeImage: string;
  /** pytorch TrainingJobs' worker image (the runtime with Python, torch and the liftoff package): CPU and CUDA. */
  pytorchImages: { cpu: string; gpu: string };
  concurrency: number;
  metricsHost: string;
  metricsPort: number;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  qps: number;
  burst: number;
  logLevel: "trace" | "debug" | "info" | "warn" | "error";
  /** Where workloads find Vault (docs/vault.md); pods needing a secret fail with VaultUnreachable when unset. */
  vault?: VaultSettings;
  /**
   * Where the DataSets' access record reads Vault's audit log (operator/src/access/, docs/vault.md "Access record"):
   * a file audit device's log it tails, and/or a TCP address a socket audit device sends to. Unset: no record.
   */
  vaultAudit?: { file?: string; listen?: { host: string; port: number } };
  /** Seconds between merges of the serving pods' drift and feedback counts. */
  monitoringPeriodSeconds: number;
  /** Shortest time between two writes of one TrainingJob's progress (status.progress, status.history). */
  progressIntervalSeconds: number;
  /**
   * What pods that fetch over http(s) may reach beyond public addresses (CIDRs, host names, .suffixes, comma-joined):
   * their LIFTOFF_EGRESS_ALLOW. Unset: only public addresses (docs/security.md, "Egress policy").
   */
  egressAllow?: string;
  /**
   * The serving pods' model cache (docs/modeldeployment.md, "Model cache"): a node folder every ONNX pod of the node
   * shares (hostPath; outside the restricted Pod Security profile), else each pod's own emptyDir; bounded by maxBytes.
   */
  modelCache: { hostPath?: string; maxBytes: number };
  /**
   * The scale-to-zero activator (operator/src/activator/, docs/autoscaling.md): where it listens, and the addresses the
   * public Service's Endpoints of a minReplicas-0 ModelDeployment point at. Undefined: off (--activator-bind-address "").
   */
  activator?: ActivatorConfig;
  /** Autoscaling with KEDA: the Prometheus its trigger queries, and how often KEDA polls it for 0↔1 (docs/modeldeployment.md). */
  autoscaling: { prometheusUrl: string; pollingSeconds: number };
  /** The result-reporting endpoint run pods post to (docs/architecture.md, "Result reporting"); off when unset. */
  report?: { host: string; port: number; certFile: string; keyFile: string; caFile: string; url: string };
}

/** An address the activator is reached at (an Endpoints address: an IP, never loopback). */
export interface ActivatorAddress {
  ip: string;
  port: number;
}

interface ActivatorConfig {
  host: string;
  /** 0 picks a free port (tests); then advertise is empty unless given. */
  port: number;
  advertise: ActivatorAddress[];
}

export const DEFAULT_PROMETHEUS_URL = "http://prometheus-operated.monitoring.svc:9090";
export const DEFAULT_KEDA_POLLING_SECONDS = 15;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export const DEFAULT_RUNTIME_IMAGE = "ghcr.io/liftoff-dev/liftoff-runtime:0.1.0";
const DEFAULT_PYTORCH_IMAGE = "ghcr.io/liftoff-dev/liftoff-pytorch:0.1.0";
const DEFAULT_PYTORCH_GPU_IMAGE = "ghcr.io/liftoff-dev/liftoff-pytorch-cuda:0.1.0";
const IMAGE_REF = /^[a-z0-9.-]+(:\d+)?\/[\w./-]+(:[\w.-]+)?(@sha256:[a-f0-9]{64})?$/;

const OPTIONS = {
  kubeconfig: { type: "string", env: "KUBECONFIG", help: "kubeconfig file (in-cluster config when unset)" },
  namespaces: {
    type: "string",
    env: "LIFTOFF_WATCH_NAMESPACES",
    help: "comma-separated namespaces to watch (all when empty)",
  },
  "runtime-image": { type: "string", env: "LIFTOFF_RUNTIME_IMAGE", help: "inference runtime image" },
  "pytorch-image": {
    type: "string",
    env: "LIFTOFF_PYTORCH_IMAGE",
    help: "worker image of pytorch TrainingJobs (runtime/Dockerfile.pytorch)",
  },
  "pytorch-gpu-image": {
    type: "string",
    env: "LIFTOFF_PYTORCH_GPU_IMAGE",
    help: "worker image of pytorch TrainingJobs with GPUs (runtime/Dockerfile.pytorch-cuda)",
  },
  concurrency: { type: "string", env: "LIFTOFF_CONCURRENCY", help: "parallel reconciles per kind (1-64, default 4)" },
  "metrics-bind-address": {
    type: "string",
    env: "LIFTOFF_METRICS_BIND_ADDRESS",
    help: "host:port of /metrics /healthz /readyz (default 0.0.0.0:8080; port 0 picks one)",
  },
  "leader-elect": {
    type: "string",
    env: "LIFTOFF_LEADER_ELECT",
    help: "true|false (default: true in a pod, false outside a cluster)",
  },
  "lease-namespace": {
    type: "string",
    env: "LIFTOFF_LEASE_NAMESPACE",
    help: "namespace of the leader Lease (default: POD_NAMESPACE or liftoff-system)",
  },
  "lease-name": {
    type: "string",
    env: "LIFTOFF_LEASE_NAME",
    help: "name of the leader Lease (default liftoff-operator)",
  },
  identity: { type: "string", env: "POD_NAME", help: "this replica's identity in the Lease (default hostname-pid)" },
  "lease-duration": { type: "string", env: "LIFTOFF_LEASE_DURATION_SECONDS", help: "seconds (default 15)" },
  "renew-deadline": { type: "string", env: "LIFTOFF_RENEW_DEADLINE_SECONDS", help: "seconds (default 10)" },
  "retry-period": { type: "string", env: "LIFTOFF_RETRY_PERIOD_SECONDS", help: "seconds (default 2)" },
  qps: { type: "string", env: "LIFTOFF_KUBE_API_QPS", help: "client-side API rate limit (default 50)" },
  burst: { type: "string", env: "LIFTOFF_KUBE_API_BURST", help: "client-side API burst (default 100)" },
  "log-level": { type: "string", env: "LIFTOFF_LOG_LEVEL", help: "trace|debug|info|warn|error (default info)" },
  "vault-addr": {
    type: "string",
    env: "LIFTOFF_VAULT_ADDR",
    help: "Vault/OpenBao address as pods reach it (https://…); workloads get no Vault when unset",
  },
  "vault-ca-configmap": {
    type: "string",
    env: "LIFTOFF_VAULT_CA_CONFIGMAP",
    help: "NAME[:KEY] of a ConfigMap in each workload namespace with Vault's CA (key default ca.crt); system CAs when unset",
  },
  "vault-auth-mount": {
    type: "string",
    env: "LIFTOFF_VAULT_AUTH_MOUNT",
    help: "Kubernetes auth mount path in Vault (default kubernetes)",
  },
  "vault-token-ttl": {
    type: "string",
    env: "LIFTOFF_VAULT_TOKEN_TTL_SECONDS",
    help: "lifetime of the pods' projected Vault tokens, seconds (600-86400, default 600)",
  },
  "vault-audit-file": {
    type: "string",
    env: "LIFTOFF_VAULT_AUDIT_FILE",
    help: "a Vault file audit device's log to read the DataSets' access record from (absolute path)",
  },
  "vault-audit-listen": {
    type: "string",
    env: "LIFTOFF_VAULT_AUDIT_LISTEN",
    help: "host:port a Vault socket audit device (socket_type tcp) sends to, for the access record (port 0 picks one)",
  },
  "monitoring-period": {
    type: "string",
    env: "LIFTOFF_MONITORING_PERIOD_SECONDS",
    help: "seconds between merges of the serving pods' drift and feedback counts (default 60)",
  },
  "progress-interval": {
    type: "string",
    env: "LIFTOFF_PROGRESS_INTERVAL_SECONDS",
    help: "seconds between two writes of a TrainingJob's live progress to its status (default 5); a TrainingSearch's early stopping sees epochs this often",
  },
  "egress-allow": {
    type: "string",
    env: "LIFTOFF_EGRESS_ALLOW",
    help: "CIDRs, host names and .suffixes (comma-separated) http sources and model URLs may reach beyond public addresses",
  },
  "model-cache-hostpath": {
    type: "string",
    env: "LIFTOFF_MODEL_CACHE_HOSTPATH",
    help: "node folder ONNX serving pods share as their model cache (hostPath: needs the privileged Pod Security level); unset: a per-pod emptyDir",
  },
  "model-cache-gib": {
    type: "string",
    env: "LIFTOFF_MODEL_CACHE_GIB",
    help: "bound of the model cache, GiB (1-100000, default 20): least recently used models are removed beyond it",
  },
  "report-bind-address": {
    type: "string",
    env: "LIFTOFF_REPORT_BIND_ADDRESS",
    help: "host:port of the HTTPS result-reporting endpoint (default 0.0.0.0:9443; port 0 picks one)",
  },
  "report-url": {
    type: "string",
    env: "LIFTOFF_REPORT_URL",
    help: "URL run pods post results to (https://…/v1/report); reporting is off when unset",
  },
  "report-tls-cert": { type: "string", env: "LIFTOFF_REPORT_TLS_CERT", help: "PEM serving certificate file" },
  "report-tls-key": { type: "string", env: "LIFTOFF_REPORT_TLS_KEY", help: "PEM serving key file" },
  "report-ca": {
    type: "string",
    env: "LIFTOFF_REPORT_CA_FILE",
    help: "PEM file of the CA pods verify the endpoint with (default: the certificate itself)",
  },
  "activator-bind-address": {
    type: "string",
    env: "LIFTOFF_ACTIVATOR_BIND_ADDRESS",
    help: 'host:port of the scale-to-zero activator (default in a pod 0.0.0.0:8012, else off; "" turns it off; port 0 picks one)',
  },
  "activator-advertise": {
    type: "string",
    env: "LIFTOFF_ACTIVATOR_ADVERTISE",
    help: "comma-separated ip:port the Endpoints of scale-to-zero Services point at (default $POD_IP:<activator port>)",
  },
  "prometheus-url": {
    type: "string",
    env: "LIFTOFF_PROMETHEUS_URL",
    help: `Prometheus KEDA's concurrency trigger queries (default ${DEFAULT_PROMETHEUS_URL})`,
  },
  "keda-polling-seconds": {
    type: "string",
    env: "LIFTOFF_KEDA_POLLING_SECONDS",
    help: "how often KEDA checks a ScaledObject's trigger (scale from and to zero), seconds (1-600, default 15)",
  },
} as const;

function int(name: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined || raw === "") return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function bool(name: string, raw: string | undefined, def: boolean): boolean {
  if (raw === undefined || raw === "") return def;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new ConfigError(`--${name} must be true or false, got "${raw}"`);
}

export function usage(): string {
  return [
    "usage: liftoff-operator [flags]   (each flag also as the environment variable shown)",
    ...Object.entries(OPTIONS).map(([flag, o]) => `  --${flag.padEnd(22)} ${o.env.padEnd(32)} ${o.help}`),
  ].join("\n");
}

export function parseConfig(argv: string[], env: Readonly<Record<string, string | undefined>>): OperatorConfig {
  let values: Record<string, string | undefined>;
  try {
    const parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(Object.keys(OPTIONS).map((k) => [k, { type: "string" as const }])),
      strict: true,
      allowPositionals: false,
    });
    values = parsed.values as Record<string, string | undefined>;
  } catch (err) {
    throw new ConfigError((err as Error).message.split("\n")[0] ?? "bad flags");
  }
  const get = (flag: keyof typeof OPTIONS) => values[flag] ?? env[OPTIONS[flag].env];
  const namespaces = (get("namespaces") ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const ns of namespaces) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns))
      throw new ConfigError(`--namespaces: "${ns}" is not a valid namespace name`);
  }
  const bind = get("metrics-bind-address") ?? "0.0.0.0:8080";
  const m = /^(.*):(\d+)$/.exec(bind);
  if (!m) throw new ConfigError(`--metrics-bind-address must be host:port, got "${bind}"`);
  const logLevel = get("log-level") ?? "info";
  if (!["trace", "debug", "info", "warn", "error"].includes(logLevel)) {
    throw new ConfigError(`--log-level must be one of trace, debug, info, warn, error, got "${logLevel}"`);
  }
  const kubeconfig = get("kubeconfig");
  const cfg: OperatorConfig = {
    ...(kubeconfig ? { kubeconfig } : {}),
    namespaces,
    runtimeImage: get("runtime-image") ?? DEFAULT_RUNTIME_IMAGE,
    pytorchImages: {
      cpu: get("pytorch-image") ?? DEFAULT_PYTORCH_IMAGE,
      gpu: get("pytorch-gpu-image") ?? DEFAULT_PYTORCH_GPU_IMAGE,
    },
    concurrency: int("concurrency", get("concurrency"), 4, 1, 64),
    metricsHost: m[1] ?? "0.0.0.0",
    metricsPort: int("metrics-bind-address", m[2], 8080, 0, 65535),
    // kubebuilder's choice: a developer's single process needs no Lease (nor the namespace that holds it); in a pod,
    // where replicas may run side by side, electing is the safe default (the manifests also ask for it).
    leaderElect: bool("leader-elect", get("leader-elect"), Boolean(env.KUBERNETES_SERVICE_HOST)),
    leaseNamespace: get("lease-namespace") ?? env.POD_NAMESPACE ?? "liftoff-system",
    leaseName: get("lease-name") ?? "liftoff-operator",
    identity: get("identity") ?? `${hostname()}-${process.pid}`,
    leaseDurationSeconds: int("lease-duration", get("lease-duration"), 15, 1, 600),
    renewDeadlineSeconds: int("renew-deadline", get("renew-deadline"), 10, 1, 600),
    retryPeriodSeconds: int("retry-period", get("retry-period"), 2, 1, 600),
    qps: int("qps", get("qps"), 50, 1, 10000),
    burst: int("burst", get("burst"), 100, 1, 100000),
    logLevel: logLevel as OperatorConfig["logLevel"],
    monitoringPeriodSeconds: int("monitoring-period", get("monitoring-period"), 60, 1, 3600),
    progressIntervalSeconds: int("progress-interval", get("progress-interval"), 5, 1, 60),
    modelCache: modelCacheConfig(
      get("model-cache-hostpath"),
      int("model-cache-gib", get("model-cache-gib"), 20, 1, 100000),
    ),
    autoscaling: {
      prometheusUrl: prometheusUrl(get("prometheus-url")),
      pollingSeconds: int("keda-polling-seconds", get("keda-polling-seconds"), DEFAULT_KEDA_POLLING_SECONDS, 1, 600),
    },
  };
  const activator = activatorConfig(get, env.POD_IP, Boolean(env.KUBERNETES_SERVICE_HOST));
  if (activator) cfg.activator = activator;
  const report = reportConfig(get, env.LIFTOFF_PATH_PREFIX);
  if (report) cfg.report = report;
  const vault = vaultConfig(get);
  if (vault) cfg.vault = vault;
  const vaultAudit = vaultAuditConfig(get("vault-audit-file"), get("vault-audit-listen"));
  if (vaultAudit) cfg.vaultAudit = vaultAudit;
  const egressAllow = egressAllowConfig(get("egress-allow"));
  if (egressAllow) cfg.egressAllow = egressAllow;
  for (const [flag, ref] of [
    ["runtime-image", cfg.runtimeImage],
    ["pytorch-image", cfg.pytorchImages.cpu],
    ["pytorch-gpu-image", cfg.pytorchImages.gpu],
  ] as const) {
    if (!IMAGE_REF.test(ref))
      throw new ConfigError(`--${flag} "${ref}" is not an image reference like registry/repo:tag`);
  }
  if (cfg.renewDeadlineSeconds >= cfg.leaseDurationSeconds) {
    throw new ConfigError("--renew-deadline must be shorter than --lease-duration");
  }
  if (cfg.retryPeriodSeconds >= cfg.renewDeadlineSeconds) {
    throw new ConfigError("--retry-period must be shorter than --renew-deadline");
  }
  return cfg;
}

function prometheusUrl(raw: string | undefined): string {
  if (raw === undefined || raw === "") return DEFAULT_PROMETHEUS_URL;
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(raw))
    throw new ConfigError(`--prometheus-url must be an http(s):// URL, got "${raw}"`);
  return raw.replace(/\/$/, "");
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** One ip:port (IPv6 in brackets: [fd00::1]:8012) an Endpoints object can hold: no host names, no loopback. */
function activatorAddress(entry: string): ActivatorAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d+)$/.exec(entry);
  const ip = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  const valid = ip !== undefined && (m?.[1] !== undefined || IPV4.test(ip)) && port >= 1 && port <= 65535;
  if (!valid) throw new ConfigError(`--activator-advertise: "${entry}" is not ip:port (10.0.0.5:8012, [fd00::5]:8012)`);
  // The API server refuses loopback and link-local addresses in Endpoints.
  if (ip.startsWith("127.") || ip === "::1" || ip.startsWith("169.254.") || /^fe80:/i.test(ip))
    throw new ConfigError(`--activator-advertise: "${entry}" is loopback or link-local, which Endpoints refuse`);
  return { ip, port };
}

function activatorConfig(
  get: (flag: keyof typeof OPTIONS) => string | undefined,
  podIP: string | undefined,
  inPod: boolean,
): ActivatorConfig | undefined {
  // On by default in a pod only: a developer's operator (or a test's) listens only where asked to.
  const bind = get("activator-bind-address") ?? (inPod ? "0.0.0.0:8012" : "");
  if (bind === "") {
    if (get("activator-advertise")) throw new ConfigError("--activator-advertise needs --activator-bind-address");
    return undefined;
  }
  const m = /^(.*):(\d+)$/.exec(bind);
  if (!m) throw new ConfigError(`--activator-bind-address must be host:port or "", got "${bind}"`);
  const port = int("activator-bind-address", m[2], 8012, 0, 65535);
  const raw = get("activator-advertise");
  const entries = (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  // In a pod: the pod's own IP (the chart sets POD_IP from the downward API).
  if (entries.length === 0 && podIP && port > 0)
    entries.push(podIP.includes(":") ? `[${podIP}]:${port}` : `${podIP}:${port}`);
  return { host: m[1] ?? "0.0.0.0", port, advertise: entries.map(activatorAddress) };
}

function modelCacheConfig(hostPath: string | undefined, gib: number): OperatorConfig["modelCache"] {
  const maxBytes = gib * 1024 ** 3;
  if (hostPath === undefined || hostPath === "") return { maxBytes };
  if (!isAbsolute(hostPath) || hostPath.split("/").includes("..") || hostPath === "/") {
    throw new ConfigError(`--model-cache-hostpath must be an absolute folder other than /, got "${hostPath}"`);
  }
  return { hostPath, maxBytes };
}

/** The allow-list, checked entry by entry (the runtime reads the same syntax) and comma-joined; undefined if empty. */
function egressAllowConfig(raw: string | undefined): string | undefined {
  const entries = egressAllowEntries(raw);
  const bad = entries.find((e) => egressEntryKind(e) === undefined);
  if (bad !== undefined) {
    throw new ConfigError(
      `--egress-allow: "${bad}" is not a CIDR (10.0.0.0/8), an IP address, a host name (minio.data.svc) or a .suffix (.corp.example)`,
    );
  }
  return entries.length > 0 ? entries.join(",") : undefined;
}

function reportConfig(
  get: (flag: keyof typeof OPTIONS) => string | undefined,
  /** Set by the local node agent, which runs pods as processes under a root folder: container path P is prefix+P. */
  pathPrefix: string | undefined,
): OperatorConfig["report"] {
  const url = get("report-url");
  if (!url) return undefined;
  if (!/^https:\/\/[^\s/]+\/\S*$/.test(url)) {
    throw new ConfigError(`--report-url must be an https:// URL with a path, got "${url}"`);
  }
  const certFile = get("report-tls-cert");
  const keyFile = get("report-tls-key");
  if (!certFile || !keyFile) throw new ConfigError("--report-url needs --report-tls-cert and --report-tls-key");
  const bind = get("report-bind-address") ?? "0.0.0.0:9443";
  const m = /^(.*):(\d+)$/.exec(bind);
  if (!m) throw new ConfigError(`--report-bind-address must be host:port, got "${bind}"`);
  const inPod = (file: string) => (pathPrefix && isAbsolute(file) ? join(pathPrefix, file) : file);
  return {
    host: m[1] ?? "0.0.0.0",
    port: int("report-bind-address", m[2], 9443, 0, 65535),
    certFile: inPod(certFile),
    keyFile: inPod(keyFile),
    caFile: inPod(get("report-ca") ?? certFile),
    url,
  };
}

function vaultAuditConfig(
  file: string | undefined,
  listen: string | undefined,
): OperatorConfig["vaultAudit"] | undefined {
  if (!file && !listen) return undefined;
  if (file !== undefined && !isAbsolute(file))
    throw new ConfigError(`--vault-audit-file must be an absolute path, got "${file}"`);
  let at: { host: string; port: number } | undefined;
  if (listen) {
    const m = /^(.*):(\d+)$/.exec(listen);
    if (!m?.[1]) throw new ConfigError(`--vault-audit-listen must be host:port, got "${listen}"`);
    at = { host: m[1].replace(/^\[(.*)\]$/, "$1"), port: int("vault-audit-listen", m[2], 0, 0, 65535) };
  }
  return { ...(file ? { file } : {}), ...(at ? { listen: at } : {}) };
}

function vaultConfig(get: (flag: keyof typeof OPTIONS) => string | undefined): VaultSettings | undefined {
  const address = get("vault-addr");
  if (!address) {
    for (const f of ["vault-ca-configmap", "vault-auth-mount", "vault-token-ttl"] as const)
      if (get(f)) throw new ConfigError(`--${f} needs --vault-addr`);
    return undefined;
  }
  if (!/^https?:\/\/[^\s/]+\/?$/.test(address))
    throw new ConfigError(`--vault-addr must be an http(s):// address without a path, got "${address}"`);
  const mount = get("vault-auth-mount") ?? "kubernetes";
  if (!/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/.test(mount))
    throw new ConfigError(`--vault-auth-mount must be a mount path like kubernetes, got "${mount}"`);
  const ca = get("vault-ca-configmap");
  let caConfigMap: VaultSettings["caConfigMap"];
  if (ca) {
    const [name = "", key = "ca.crt"] = ca.split(":");
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || !/^[-._a-zA-Z0-9]+$/.test(key))
      throw new ConfigError(`--vault-ca-configmap must be NAME or NAME:KEY of a ConfigMap, got "${ca}"`);
    caConfigMap = { name, key };
  }
  return {
    address: address.replace(/\/$/, ""),
    authMount: mount,
    ...(caConfigMap ? { caConfigMap } : {}),
    tokenExpirationSeconds: int("vault-token-ttl", get("vault-token-ttl"), 600, 600, 86400),
  };
}
