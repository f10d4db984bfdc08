// `npm run cluster:up` / `npm run cluster:down` [-- --name test --fresh --no-build]
import { parseArgs } from "node:util";
import { ClusterError } from "./errors.js";

const USAGE = "usage: cluster up|down [--name NAME] [--fresh] [--no-build]";

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: "string", default: "local" },
      fresh: { type: "boolean", default: false },
      "no-build": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      `${USAGE}\n\n  up     start the dev cluster NAME (default local), or check the running one\n  down   stop every process it started\n  --fresh     wipe its state first\n  --no-build  never build a missing binary (fail instead)`,
    );
    return;
  }
  // Imported after --help: the cluster code loads client-node and the PKI helpers.
  const { clusterDown, ensureClusterUp } = await import("./cluster.js");
  const command = positionals[0];
  const name = values.name ?? "local";
  if (command === "up") {
    const started = Date.now();
    const opts = { build: !values["no-build"], fresh: values.fresh ?? false };
    const cluster = await ensureClusterUp(name, opts);
    const took = ((Date.now() - started) / 1000).toFixed(1);
    console.error(
      cluster.alreadyRunning ? `cluster: "${name}" is already running` : `cluster: "${name}" up in ${took}s`,
    );
    console.error(`cluster: API server ${cluster.server}; logs in ${cluster.config.logDir}`);
    console.error(`cluster: export KUBECONFIG=${cluster.kubeconfig}`);
    console.log(cluster.kubeconfig);
  } else if (command === "down") {
    const stopped = await clusterDown(name);
    console.error(
      stopped.length === 0
        ? `cluster: "${name}" was not running`
        : `cluster: stopped ${stopped.map((p) => p.name).join(", ")}`,
    );
  } else {
    throw new ClusterError(`${USAGE} (got "${command ?? ""}")`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ClusterError ? `cluster: ${err.message}` : err);
  process.exit(1);
});
