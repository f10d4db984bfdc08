// Starts and stops a local cluster: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, OpenBao,
// SeaweedFS (S3), the node agent and the metrics pipeline (Prometheus, metrics-server, KEDA) on loopback.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { applyMetricsApis, prepareMetrics, waitAgentNetwork, waitMetricsApis } from "../metrics/metrics.js";
import { writePrometheusConnection } from "../metrics/prometheus.js";
import { GATEWAY_COMPONENTS, metricsKubeconfigPaths } from "../metrics/servers.js";
import { removeLeftovers } from "../node-agent/netns.js";
import { netnsPlan } from "../node-agent/pod-network.js";
import { adminVault } from "../openbao/admin.js";
import { readInitSecrets } from "../openbao/init.js";
import { prepareOpenBao, readyOpenBao, type VaultConnection, writeVaultConnection } from "../openbao/openbao.js";
import { openbaoLayout } from "../openbao/server.js";
import { clusterWeedPorts, prepareSeaweedfs, readySeaweedfs, writeS3Connection } from "../seaweedfs/seaweedfs.js";
import { S3_BUCKET, S3_VAULT_KV_PATH, weedSocketFiles } from "../seaweedfs/server.js";
import { ensureBinaries } from "./binaries.js";
import { type Binaries, type ComponentSpec, clusterComponents, startWaves } from "./components.js";
import { type ClusterConfig, clusterConfig } from "./config.js";
import { installCrds } from "./crds.js";
import { ClusterError } from "./errors.js";
import { waitHealthy } from "./health.js";
import { renderKubeconfig } from "./kubeconfig.js";
import { ensurePki, IDENTITIES, type Identity, type Pki } from "./pki.js";
import { portIsFree } from "./ports.js";
import { isOurs, type RunningProcess, readPidFile, startProcess, stopProcess, writePidFile } from "./processes.js";

export interface UpOptions {
  /** Build missing binaries (default) or fail with a clear message. */
  build?: boolean;
  /** Wipe etcd and all state first. */
  fresh?: boolean;
  log?: (line: string) => void;
}

export interface RunningCluster {
  config: ClusterConfig;
  kubeconfig: string;
  binaries: Binaries;
  server: string;
  alreadyRunning: boolean;
}

function writeComponentKubeconfig(config: ClusterConfig, pki: Pki, id: Identity, file: string): void {
  const { cert, key } = pki.client(id);
  const content = renderKubeconfig({
    clusterName: `liftoff-${config.name}`,
    server: `https://127.0.0.1:${config.ports.apiserver}`,
    caCertFile: pki.caCert,
    clientCertFile: cert,
    clientKeyFile: key,
    user: id.commonName,
  });
  writeFileSync(file, content, { mode: 0o600 });
}

async function allHealthy(components: ComponentSpec[], running: RunningProcess[]): Promise<boolean> {
  for (const c of components) {
    const proc = running.find((r) => r.name === c.name);
    // Skipped at start (loopback pod network): not part of this cluster.
    if (!proc && GATEWAY_COMPONENTS.includes(c.name)) continue;
    if (!proc || !isOurs(proc)) return false;
    if (!(await waitHealthy(c.health, 2, () => true)).ok) return false;
  }
  return true;
}

export async function clusterUp(name = "local", opts: UpOptions = {}): Promise<RunningCluster> {
  const log = opts.log ?? ((line: string) => console.error(line));
  const config = clusterConfig(name);
  const binaries = ensureBinaries(opts.build ?? true);
  const server = `https://127.0.0.1:${config.ports.apiserver}`;

  const previous = readPidFile(config.stateDir);
  if (opts.fresh || previous.length > 0) await clusterDown(name);
  if (opts.fresh) rmSync(config.stateDir, { recursive: true, force: true });
  mkdirSync(config.logDir, { recursive: true });

  const pki = ensurePki(config.pkiDir, firstServiceIP(config.serviceCIDR), [config.podGateway]);
  const kubeconfigs = componentKubeconfigPaths(config);
  writeComponentKubeconfig(config, pki, IDENTITIES.controllerManager, kubeconfigs.controllerManager);
  writeComponentKubeconfig(config, pki, IDENTITIES.scheduler, kubeconfigs.scheduler);
  writeComponentKubeconfig(config, pki, IDENTITIES.admin, config.kubeconfig);
  const metricsKubeconfigs = metricsKubeconfigPaths(config);
  writeComponentKubeconfig(config, pki, IDENTITIES.metricsServer, metricsKubeconfigs.metricsServer);
  writeComponentKubeconfig(config, pki, IDENTITIES.kedaOperator, metricsKubeconfigs.kedaOperator);
  writeComponentKubeconfig(config, pki, IDENTITIES.kedaMetricsApiserver, metricsKubeconfigs.kedaMetricsApiserver);
  prepareOpenBao(config, pki);
  prepareSeaweedfs(config);
  prepareMetrics(config, pki);
  const components = clusterComponents(config, binaries, pki, kubeconfigs);

  const weedPorts = Object.entries(clusterWeedPorts(config)).map(([n, p]) => [`seaweedfs ${n}`, p] as const);
  for (const [component, port] of [...Object.entries(config.ports), ...weedPorts]) {
    if (!(await portIsFree(port))) {
      throw new ClusterError(
        `port ${port} (${component}) on 127.0.0.1 is already in use; stop what holds it or set LIFTOFF_PORT_BASE to another base port`,
      );
    }
  }

  const running: RunningProcess[] = [];
  const startOne = async (c: ComponentSpec) => {
    const started = Date.now();
    const proc = running[running.findIndex((r) => r.name === c.name)];
    if (!proc) throw new ClusterError(`internal: ${c.name} was not started`);
    const health = await waitHealthy(c.health, c.startTimeoutSeconds, () => isOurs(proc));
    if (!health.ok) {
      throw new ClusterError(
        `${c.name} did not become healthy within ${c.startTimeoutSeconds}s (${health.detail}); see ${join(config.logDir, `${c.name}.log`)}`,
      );
    }
    log(`cluster: ${c.name} healthy in ${((Date.now() - started) / 1000).toFixed(1)}s (pid ${proc.pid})`);
    if (c.name === "openbao") {
      const bootstrapped = await readyOpenBao(config, pki, adminKubeConfig(config), { bootstrap: true });
      log(`cluster: openbao unsealed and bootstrapped${bootstrapped.length ? ` (${bootstrapped.join(", ")})` : ""}`);
    }
  };
  const launch = (c: ComponentSpec) => {
    if (!existsSync(c.command)) throw new ClusterError(`missing binary ${c.command}; run npm run binaries`);
    running.push(startProcess(c, config.logDir));
    writePidFile(config.stateDir, running);
  };
  // metrics-server and KEDA listen on the pod bridge's gateway, which the node agent of the same wave creates.
  let metricsApis = false;
  const startGated = async (gated: ComponentSpec[]) => {
    const net = await waitAgentNetwork(config);
    writePrometheusConnection(config, net.gateway);
    if (net.mode !== "netns") {
      log(
        `cluster: metrics-server and KEDA skipped: the pod network is in loopback fallback (${net.reason ?? "unknown"}), and an APIService cannot route to a loopback address; Prometheus runs`,
      );
      return;
    }
    await applyMetricsApis(adminKubeConfig(config), config, pki, binaries);
    for (const c of gated) launch(c);
    await Promise.all(gated.map(startOne));
    metricsApis = true;
  };
  try {
    for (const wave of startWaves(components)) {
      const gated = wave.filter((c) => GATEWAY_COMPONENTS.includes(c.name));
      for (const c of wave) if (!gated.includes(c)) launch(c);
      // A wave's components start side by side; the first failure is reported once all of them have settled.
      const results = await Promise.allSettled([
        ...wave.filter((c) => !gated.includes(c)).map(startOne),
        ...(gated.length > 0 ? [startGated(gated)] : []),
      ]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    }
    // The aggregator's first availability check of the metrics APIs overlaps the S3 and CRD steps.
    const afterWaves = Date.now();
    await Promise.all([
      (async () => {
        await connectS3(config, pki, await writeVaultConnection(config, pki));
        log(`cluster: S3 bucket ${S3_BUCKET} ready, its keys in OpenBao at ${S3_VAULT_KV_PATH}`);
      })(),
      (async () => {
        const crds = await installCrds(adminKubeConfig(config));
        log(`cluster: installed ${crds.join(", ")}`);
      })(),
      (async () => {
        if (!metricsApis) return;
        await waitMetricsApis(adminKubeConfig(config));
        const took = ((Date.now() - afterWaves) / 1000).toFixed(1);
        log(`cluster: metrics.k8s.io and external.metrics.k8s.io available ${took}s after the last wave`);
      })(),
    ]);
  } catch (err) {
    await clusterDown(name);
    throw err;
  }
  return { config, kubeconfig: config.kubeconfig, binaries, server, alreadyRunning: false };
}

/** Like clusterUp, but returns at once when this cluster is already running and healthy. */
export async function ensureClusterUp(name = "local", opts: UpOptions = {}): Promise<RunningCluster> {
  const config = clusterConfig(name);
  const previous = readPidFile(config.stateDir);
  if (previous.length > 0 && existsSync(config.kubeconfig)) {
    const binaries = ensureBinaries(opts.build ?? true);
    const pki = ensurePki(config.pkiDir, firstServiceIP(config.serviceCIDR), [config.podGateway]);
    const components = clusterComponents(config, binaries, pki, componentKubeconfigPaths(config));
    if (await allHealthy(components, previous)) {
      // A running OpenBao stays unsealed; this only checks it (and rewrites the connection file).
      await readyOpenBao(config, pki, adminKubeConfig(config), { bootstrap: false });
      await connectS3(config, pki, await writeVaultConnection(config, pki));
      return {
        config,
        kubeconfig: config.kubeconfig,
        binaries,
        server: `https://127.0.0.1:${config.ports.apiserver}`,
        alreadyRunning: true,
      };
    }
  }
  return clusterUp(name, opts);
}

/** The bucket and the OpenBao secret (idempotent), then the S3 connection file: pods reach it where they reach OpenBao. */
async function connectS3(config: ClusterConfig, pki: Pki, vault: VaultConnection): Promise<void> {
  const secrets = readInitSecrets(openbaoLayout(config));
  if (!secrets) throw new ClusterError("OpenBao is not initialised; run cluster:up -- --fresh");
  await readySeaweedfs(config, adminVault(vault.address, pki.caCert, secrets.rootToken));
  writeS3Connection(config, new URL(vault.podAddress).hostname);
}

function adminKubeConfig(config: ClusterConfig): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(config.kubeconfig);
  return kc;
}

function componentKubeconfigPaths(config: ClusterConfig) {
  return {
    controllerManager: join(config.stateDir, "kube-controller-manager.kubeconfig"),
    scheduler: join(config.stateDir, "kube-scheduler.kubeconfig"),
  };
}

/** Stops one component of a running cluster by its recorded PID (tests stop OpenBao or the API server this way). */
export async function stopComponent(name: string, component: string): Promise<void> {
  const config = clusterConfig(name);
  const current = readPidFile(config.stateDir).find((p) => p.name === component);
  if (!current) throw new ClusterError(`cluster "${name}" has no ${component}`);
  await stopProcess(current);
}

/** Starts one stopped (or restarts one running) component and waits until it is healthy. */
export async function startComponent(name: string, component: string): Promise<void> {
  const config = clusterConfig(name);
  const running = readPidFile(config.stateDir);
  const i = running.findIndex((p) => p.name === component);
  const pki = ensurePki(config.pkiDir, firstServiceIP(config.serviceCIDR), [config.podGateway]);
  const spec = clusterComponents(config, ensureBinaries(false), pki, componentKubeconfigPaths(config)).find(
    (c) => c.name === component,
  );
  const current = running[i];
  if (!spec || !current) throw new ClusterError(`cluster "${name}" has no ${component}`);
  await stopProcess(current);
  const started = startProcess(spec, config.logDir);
  running[i] = started;
  writePidFile(config.stateDir, running);
  const health = await waitHealthy(spec.health, spec.startTimeoutSeconds, () => isOurs(started));
  if (!health.ok) throw new ClusterError(`${component} did not come back healthy: ${health.detail}`);
}

/** Stops every process this cluster started, newest first, by recorded PID. */
export async function clusterDown(name = "local"): Promise<RunningProcess[]> {
  const config = clusterConfig(name);
  const running = readPidFile(config.stateDir);
  for (const proc of [...running].reverse()) await stopProcess(proc);
  writePidFile(config.stateDir, []);
  // weed leaves its Unix sockets in /tmp; these ports are this cluster's own.
  for (const f of weedSocketFiles(clusterWeedPorts(config), readdirSync("/tmp"))) rmSync(f, { force: true });
  // The agent removes its pod network on SIGTERM; this catches one that was killed.
  removeLeftovers(netnsPlan(config.podNetwork));
  return running;
}

/** The API server's ClusterIP: the first address of the service range. */
export function firstServiceIP(cidr: string): string {
  const [base] = cidr.split("/");
  const octets = (base ?? "").split(".").map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o)))
    throw new ClusterError(`bad service CIDR ${cidr}`);
  octets[3] = (octets[3] ?? 0) + 1;
  return octets.join(".");
}
