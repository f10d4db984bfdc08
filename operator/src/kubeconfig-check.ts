// Before the operator starts: which cluster it will talk to, so that a missing or unreadable kubeconfig is one line
// saying what to do instead of the client library's stack (an ENOENT, or "HTTP protocol is not allowed" from the
// library's fallback to http://localhost:8080 when nothing is configured).
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

const HOW =
  "set KUBECONFIG or --kubeconfig to a kubeconfig file (for the local cluster: npm run operator -- --dev-cluster)";

/** What is wrong with the operator's cluster access, or undefined when it can start. */
export function kubeconfigProblem(
  kubeconfig: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  read: (path: string) => string = (path) => readFileSync(path, "utf8"),
  home: string = homedir(),
): string | undefined {
  if (kubeconfig) {
    // KUBECONFIG may list several files, as kubectl's does; each must be readable.
    for (const file of kubeconfig.split(delimiter).filter(Boolean)) {
      const problem = fileProblem(file, read);
      if (problem) return `${problem}: ${HOW}`;
    }
    return undefined;
  }
  if (env.KUBERNETES_SERVICE_HOST) return undefined;
  const defaultFile = join(home, ".kube", "config");
  const problem = fileProblem(defaultFile, read);
  if (problem === undefined) return undefined;
  return problem.startsWith("no kubeconfig")
    ? `no cluster to talk to (KUBECONFIG unset, not in a pod, no ${defaultFile}): ${HOW}`
    : `${problem}: ${HOW}`;
}

function fileProblem(file: string, read: (path: string) => string): string | undefined {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return `no kubeconfig at ${file}`;
    return `cannot read kubeconfig ${file} (${code ?? (err as Error).message})`;
  }
  try {
    const kc = new KubeConfig();
    kc.loadFromString(text);
    if (!kc.getCurrentCluster()) return `kubeconfig ${file} names no current cluster`;
  } catch (err) {
    return `kubeconfig ${file} is not a valid kubeconfig (${((err as Error).message.split("\n")[0] ?? "").trim()})`;
  }
  return undefined;
}
