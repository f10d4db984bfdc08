// Finds (and, unless told not to, builds) the cached control-plane binaries via hack/build-binaries.sh.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { Binaries } from "./components.js";
import { REPO_ROOT } from "./config.js";
import { ClusterError } from "./errors.js";

export function ensureBinaries(build: boolean): Binaries {
  const script = join(REPO_ROOT, "hack", "build-binaries.sh");
  // stderr is inherited so build progress shows; the last stdout line names the folders.
  const res = spawnSync("bash", build ? [script] : [script, "--check"], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  if (res.status !== 0) throw new ClusterError("control-plane binaries are not available (see the line above)");
  const [k8sDir, etcdDir, helmDir, promDir] = res.stdout.trim().split("\n").pop()?.split(" ") ?? [];
  if (!k8sDir || !etcdDir || !helmDir || !promDir)
    throw new ClusterError(`hack/build-binaries.sh printed no folders: ${res.stdout}`);
  return {
    etcd: join(etcdDir, "etcd"),
    kubeApiserver: join(k8sDir, "kube-apiserver"),
    kubeControllerManager: join(k8sDir, "kube-controller-manager"),
    kubeScheduler: join(k8sDir, "kube-scheduler"),
    kubectl: join(k8sDir, "kubectl"),
    helm: join(helmDir, "helm"),
    prometheus: join(promDir, "prometheus"),
    promtool: join(promDir, "promtool"),
  };
}
