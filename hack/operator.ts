// `npm run operator`: the operator from source. Pointed at a Liftoff dev cluster (`-- --dev-cluster[=NAME]`, or
// KUBECONFIG=.liftoff/NAME/kubeconfig) it brings what the cluster's pods need to reach it, as npm start and the
// tests do: a report certificate from the cluster's CA for the pod gateway's address, the cluster's OpenBao, and an
// egress allow-list for the host (http sources served from it are private, refused by default).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { clusterConfig, REPO_ROOT } from "../devcluster/cluster/config.js";
import { openbaoLayout } from "../devcluster/openbao/server.js";
import { exitOnStartFailure, runOperator } from "../operator/src/cli.js";
import { ConfigError } from "../operator/src/config.js";
import { chooseDevCluster, devClusterFlags } from "./operator-args.js";

async function main(): Promise<void> {
  const { cluster, argv } = chooseDevCluster(process.argv.slice(2), process.env, REPO_ROOT);
  if (cluster === undefined || argv.includes("--help")) return runOperator(argv, process.env);
  // Imported after --help: the cluster's PKI and OpenBao modules take seconds to load.
  const [{ podHostAddress, reportFlags }, { readVaultConnection }] = await Promise.all([
    import("../devcluster/cluster/report-flags.js"),
    import("../devcluster/openbao/openbao.js"),
  ]);
  const config = clusterConfig(cluster);
  const up = cluster === "local" ? "npm run cluster:up" : `npm run cluster:up -- --name ${cluster}`;
  if (!existsSync(config.kubeconfig))
    throw new ConfigError(`the ${cluster} cluster has no kubeconfig at ${config.kubeconfig}: start it with ${up}`);
  let report: string[];
  try {
    report = await reportFlags(cluster);
  } catch (err) {
    throw new ConfigError(
      `the ${cluster} cluster's node agent does not answer on 127.0.0.1:${config.ports.nodeAgent} (${(err as Error).message}): start it with ${up}`,
    );
  }
  const vault = existsSync(openbaoLayout(config).connectionFile) ? readVaultConnection(config) : undefined;
  const flags = devClusterFlags(argv, {
    kubeconfig: config.kubeconfig,
    reportFlags: report,
    ...(vault ? { vaultPodAddress: vault.podAddress, vaultAuditFile: openbaoLayout(config).auditFile } : {}),
    podHostAddress: await podHostAddress(cluster),
  });
  console.error(`liftoff-operator: on the ${cluster} dev cluster: ${flags.filter((f) => !argv.includes(f)).join(" ")}`);
  // The dev cluster's pods run the runtime image as runtime/dist/main.js: without it every Job fails at once.
  if (!existsSync(join(REPO_ROOT, "runtime", "dist", "main.js")))
    console.error(
      "liftoff-operator: runtime/dist/main.js is missing, and this cluster's pods run it: npm run build:runtime",
    );
  return runOperator(flags, process.env);
}

main().catch(exitOnStartFailure);
