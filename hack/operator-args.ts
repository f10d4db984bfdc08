// `npm run operator` against a Liftoff dev cluster (pure): which cluster the command line means — `--dev-cluster`,
// `--dev-cluster=NAME`, or a kubeconfig that is a dev cluster's own .liftoff/NAME/kubeconfig — and the operator
// flags it needs there, with the user's own flags taking precedence.
import { resolve, sep } from "node:path";

export interface DevClusterChoice {
  /** The dev cluster's name (.liftoff/NAME), or undefined for any other cluster. */
  cluster?: string | undefined;
  /** The command line without --dev-cluster, for the operator itself. */
  argv: string[];
}

export function chooseDevCluster(
  argv: string[],
  env: Readonly<Record<string, string | undefined>>,
  repoRoot: string,
  cwd: string = process.cwd(),
): DevClusterChoice {
  let cluster: string | undefined;
  const rest: string[] = [];
  for (const arg of argv) {
    if (arg === "--dev-cluster") cluster = "local";
    else if (arg.startsWith("--dev-cluster=")) cluster = arg.slice("--dev-cluster=".length) || "local";
    else rest.push(arg);
  }
  if (cluster !== undefined) return { cluster, argv: rest };
  const kubeconfig = flagValue(rest, "kubeconfig") ?? env.KUBECONFIG;
  return { ...(kubeconfig ? { cluster: clusterOfKubeconfig(kubeconfig, repoRoot, cwd) } : {}), argv: rest };
}

/** NAME when `file` is <repo>/.liftoff/NAME/kubeconfig. */
export function clusterOfKubeconfig(file: string, repoRoot: string, cwd: string): string | undefined {
  const prefix = resolve(repoRoot, ".liftoff") + sep;
  const path = resolve(cwd, file);
  if (!path.startsWith(prefix)) return undefined;
  const m = /^([a-z0-9-]+)[/\\]kubeconfig$/.exec(path.slice(prefix.length));
  return m?.[1];
}

/** The value of --name=V or --name V, the last one winning as in node's parseArgs. */
export function flagValue(argv: string[], name: string): string | undefined {
  let value: string | undefined;
  argv.forEach((arg, i) => {
    if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
    else if (arg === `--${name}`) value = argv[i + 1];
  });
  return value;
}

export interface DevClusterFacts {
  kubeconfig: string;
  /** The report endpoint's flags for this cluster (devcluster/cluster/report-flags.ts). */
  reportFlags: string[];
  /** OpenBao as pods reach it, when the cluster runs one. */
  vaultPodAddress?: string | undefined;
  /** Its file audit device's log, which the DataSets' access record reads (devcluster/openbao/server.ts). */
  vaultAuditFile?: string | undefined;
  /** The host as pods reach it (loopback or the pod gateway: private, so refused by default): files served there. */
  podHostAddress?: string | undefined;
}

/**
 * The operator's flags on a dev cluster: its kubeconfig, the report endpoint, OpenBao (and its audit log, for the
 * access record), and an egress allow-list
 * opening the host (where a developer serves http sources and models), unless already given.
 */
export function devClusterFlags(argv: string[], facts: DevClusterFacts): string[] {
  const given = (name: string) => flagValue(argv, name) !== undefined;
  return [
    ...(given("kubeconfig") ? [] : [`--kubeconfig=${facts.kubeconfig}`]),
    ...(given("report-url") ? [] : facts.reportFlags),
    ...(given("vault-addr") || !facts.vaultPodAddress
      ? []
      : // Pods verify OpenBao with the cluster CA, which every namespace has in kube-root-ca.crt.
        [`--vault-addr=${facts.vaultPodAddress}`, "--vault-ca-configmap=kube-root-ca.crt"]),
    ...(given("vault-audit-file") || !facts.vaultAuditFile ? [] : [`--vault-audit-file=${facts.vaultAuditFile}`]),
    ...(given("egress-allow") || !facts.podHostAddress ? [] : [`--egress-allow=${facts.podHostAddress}`]),
    ...argv,
  ];
}
