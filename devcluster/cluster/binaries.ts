// Finds (and, unless told not to, builds or fetches) the cached binaries: the control plane via
// hack/build-binaries.sh, OpenBao's `bao` via hack/fetch-openbao.sh.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Binaries } from "./components.js";
import { REPO_ROOT } from "./config.js";
import { ClusterError } from "./errors.js";

/** Runs a hack/ script with progress on stderr; its last stdout line is what it reports. */
function lastLine(script: string, check: boolean, what: string): string {
  const res = spawnSync(
    "bash",
    check ? [join(REPO_ROOT, "hack", script), "--check"] : [join(REPO_ROOT, "hack", script)],
    {
      stdio: ["ignore", "pipe", "inherit"],
      encoding: "utf8",
    },
  );
  if (res.status !== 0) throw new ClusterError(`${what} not available (see the line above)`);
  return res.stdout.trim().split("\n").pop() ?? "";
}

export function ensureBinaries(build: boolean): Binaries {
  const [k8sDir, etcdDir, helmDir, promDir] = lastLine("build-binaries.sh", !build, "control-plane binaries are").split(
    " ",
  );
  if (!k8sDir || !etcdDir || !helmDir || !promDir) throw new ClusterError("hack/build-binaries.sh printed no folders");
  const bao = lastLine("fetch-openbao.sh", !build, "OpenBao's bao binary is");
  if (!bao) throw new ClusterError("hack/fetch-openbao.sh printed no path");
  return {
    etcd: join(etcdDir, "etcd"),
    kubeApiserver: join(k8sDir, "kube-apiserver"),
    kubeControllerManager: join(k8sDir, "kube-controller-manager"),
    kubeScheduler: join(k8sDir, "kube-scheduler"),
    kubectl: join(k8sDir, "kubectl"),
    helm: join(helmDir, "helm"),
    bao,
    prometheus: join(promDir, "prometheus"),
    promtool: join(promDir, "promtool"),
  };
}
