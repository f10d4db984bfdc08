// The dynamic half of completion: object names, namespaces and contexts, asked of kubectl itself (`kubectl get …
// -o name`, `kubectl config get-contexts -o name`) with the cluster flags already on the line. kubectl is on PATH
// whenever `kubectl liftoff` runs, answers in a few hundred milliseconds, and keeps the Kubernetes client out of a
// TAB. Any failure (no cluster, no kubectl, RBAC) completes nothing rather than printing an error into the prompt.
import { execFile } from "node:child_process";
import { GROUP, LIFTOFF_KINDS } from "../cli/kinds.js";
import type { ClusterFlags, Resolver } from "./engine.js";

const TIMEOUT_MS = 5000;

function clusterArgs(flags: ClusterFlags): string[] {
  return [
    ...(flags.kubeconfig ? ["--kubeconfig", flags.kubeconfig] : []),
    ...(flags.context ? ["--context", flags.context] : []),
  ];
}

function kubectlLines(kubectl: string, args: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(kubectl, args, { env, timeout: TIMEOUT_MS, maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => {
      if (err) return resolve([]);
      resolve(
        String(stdout)
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean),
      );
    });
  });
}

/** `trainingjob.liftoff.dev/penguins` → `penguins`, `namespace/demo` → `demo`. */
export function nameOf(line: string): string {
  return line.slice(line.lastIndexOf("/") + 1);
}

export function kubectlResolver(env: NodeJS.ProcessEnv = process.env): Resolver {
  const kubectl = env.LIFTOFF_KUBECTL || "kubectl";
  return {
    async names(kind, flags) {
      const scope = flags.allNamespaces ? ["-A"] : flags.namespace ? ["-n", flags.namespace] : [];
      const args = ["get", `${LIFTOFF_KINDS[kind].plural}.${GROUP}`, "-o", "name", ...scope, ...clusterArgs(flags)];
      return [...new Set((await kubectlLines(kubectl, args, env)).map(nameOf))];
    },
    async namespaces(flags) {
      return (await kubectlLines(kubectl, ["get", "namespaces", "-o", "name", ...clusterArgs(flags)], env)).map(nameOf);
    },
    async contexts(flags) {
      const args = [
        "config",
        "get-contexts",
        "-o",
        "name",
        ...(flags.kubeconfig ? ["--kubeconfig", flags.kubeconfig] : []),
      ];
      return kubectlLines(kubectl, args, env);
    },
  };
}
