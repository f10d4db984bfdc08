// Finds (and, unless told not to, fetches or builds) the cached binaries: the control plane from
// hack/build-binaries.sh, kubectl and helm from hack/fetch-kube-tools.sh, Prometheus and promtool from Debian's
// package (hack/fetch-deb.sh; the Prometheus server: ensurePrometheus), OpenBao's `bao` from hack/fetch-openbao.sh,
// SeaweedFS's `weed` (the S3 server) from hack/build-seaweedfs.sh, the metrics pipeline's metrics-server and KEDA
// from hack/build-metrics-server.sh and hack/build-keda.sh. Links them into .liftoff/bin/ so docs and
// printed hints can name one stable path.
import { spawnSync } from "node:child_process";
import { mkdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type { Binaries } from "./components.js";
import { REPO_ROOT } from "./config.js";
import { ClusterError } from "./errors.js";

/**
 * promtool, for the rule tests: Debian bookworm's package, unpacked without root. Its prometheus server lacks
 * kubernetes_sd_configs, so the server comes from hack/build-prometheus.sh (ensurePrometheus).
 */
export const PROMETHEUS_DEB = ["prometheus=2.42.0+ds-5+deb12u1", "promtool"];

/** Runs a cache script; its last stdout line names the folders. stderr is inherited so progress shows. */
function cacheFolders(script: string, build: boolean, args: string[] = []): string[] {
  const res = spawnSync("bash", [join(REPO_ROOT, "hack", script), ...(build ? [] : ["--check"]), ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (res.status !== 0) throw new ClusterError("binaries are not available (see the line above)");
  return res.stdout.trim().split("\n").pop()?.split(" ") ?? [];
}

export const BIN_DIR = join(REPO_ROOT, ".liftoff", "bin");

function linkInto(dir: string, target: string): void {
  const link = join(dir, target.split("/").pop() ?? "");
  try {
    if (readlinkSync(link) === target) return;
  } catch {
    // absent (or not a link): replaced below
  }
  rmSync(link, { force: true });
  try {
    symlinkSync(target, link);
  } catch (err) {
    // Another process (a parallel test worker) linked it first.
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

export function ensureBinaries(build: boolean): Binaries {
  const [k8sDir, etcdDir] = cacheFolders("build-binaries.sh", build);
  const [toolsDir] = cacheFolders("fetch-kube-tools.sh", build);
  const [promDir] = cacheFolders("fetch-deb.sh", build, PROMETHEUS_DEB);
  const [bao] = cacheFolders("fetch-openbao.sh", build);
  const [weedDir] = cacheFolders("build-seaweedfs.sh", build);
  if (!k8sDir || !etcdDir || !toolsDir || !promDir || !bao || !weedDir)
    throw new ClusterError("the binary cache scripts printed no folders");
  const keda = ensureKeda(build);
  const bins: Binaries = {
    etcd: join(etcdDir, "etcd"),
    kubeApiserver: join(k8sDir, "kube-apiserver"),
    kubeControllerManager: join(k8sDir, "kube-controller-manager"),
    kubeScheduler: join(k8sDir, "kube-scheduler"),
    kubectl: join(toolsDir, "kubectl"),
    helm: join(toolsDir, "helm"),
    bao,
    weed: join(weedDir, "weed"),
    promtool: join(promDir, "promtool"),
    prometheus: ensurePrometheus(build),
    metricsServer: ensureMetricsServer(build),
    kedaOperator: keda.operator,
    kedaAdapter: keda.adapter,
  };
  mkdirSync(BIN_DIR, { recursive: true });
  for (const path of Object.values(bins)) linkInto(BIN_DIR, path);
  return bins;
}

/** The Prometheus server (kubernetes_sd_configs), built once from the Go module proxy: the cluster-wide one and the tests'. */
export function ensurePrometheus(build: boolean): string {
  const [dir] = cacheFolders("build-prometheus.sh", build);
  if (!dir) throw new ClusterError("hack/build-prometheus.sh printed no folder");
  const path = join(dir, "prometheus");
  mkdirSync(BIN_DIR, { recursive: true });
  linkInto(BIN_DIR, path);
  return path;
}

/** metrics-server (metrics.k8s.io), built once from the Go module proxy. */
function ensureMetricsServer(build: boolean): string {
  const [dir] = cacheFolders("build-metrics-server.sh", build);
  if (!dir) throw new ClusterError("hack/build-metrics-server.sh printed no folder");
  return join(dir, "metrics-server");
}

interface KedaBuild {
  operator: string;
  adapter: string;
  /** KEDA's CRDs (keda.sh_*.yaml), copied from the module. */
  crdDir: string;
  /** KEDA's operator roles (config/rbac/role.yaml), copied from the module. */
  rbacFile: string;
}

/** KEDA's operator and metrics adapter, built once from the Go module proxy, with its CRDs and roles. */
function ensureKeda(build: boolean): KedaBuild {
  const [dir] = cacheFolders("build-keda.sh", build);
  if (!dir) throw new ClusterError("hack/build-keda.sh printed no folder");
  return {
    operator: join(dir, "keda-operator"),
    adapter: join(dir, "keda-adapter"),
    crdDir: join(dir, "crds"),
    rbacFile: join(dir, "rbac", "role.yaml"),
  };
}
