// The node agent's entry point: `node .liftoff/node-agent/main.mjs --kubeconfig F --state-dir D ...` (compiled by cluster:up,
// node-agent/compiled.ts), or `node --import tsx devcluster/node-agent/main.ts ...` where that build fails.
// Started by `npm run cluster:up` as one more cluster component; /healthz and /readyz on its health port.
import { createServer } from "node:http";
import type { Server } from "node:net";
import { parseArgs } from "node:util";
import { NodeAgent } from "./agent.js";
import { startTcpProxy } from "./api-proxy.js";
import { agentConfig, DEFAULT_NODES } from "./config.js";
import { makeKube } from "./kube.js";
import { startKubeletServers } from "./kubelet-server.js";
import { loopbackNetwork, openPodNetwork, type PodNetwork } from "./netns.js";
import { reapOrphans } from "./reaper.js";

const AGENT_USAGE =
  "usage: main.ts --kubeconfig FILE --state-dir DIR --health-port PORT [--nodes SPEC] [--pod-network 127.N]";

function log(line: string): void {
  console.error(`${new Date().toISOString()} node-agent: ${line}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: "string" },
      "state-dir": { type: "string" },
      "health-port": { type: "string" },
      "kubelet-port": { type: "string", default: "0" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      nodes: { type: "string", default: process.env.LIFTOFF_NODES || DEFAULT_NODES },
      "pod-network": { type: "string", default: "127.80" },
      "repo-root": { type: "string", default: process.cwd() },
      // Comma-separated host ports on 127.0.0.1 that pods reach on the bridge gateway (OpenBao's).
      "forward-ports": { type: "string", default: "" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `${AGENT_USAGE}\n\nStarted by \`npm run cluster:up\` (devcluster/cluster/components.ts sets every flag).\n`,
    );
    return;
  }
  if (!values.kubeconfig || !values["state-dir"] || !values["health-port"]) {
    throw new Error(AGENT_USAGE);
  }
  const podNetwork = values["pod-network"] ?? "127.80";
  const forwardPorts = (values["forward-ports"] ?? "")
    .split(",")
    .filter((p) => p !== "")
    .map(Number);
  if (forwardPorts.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
    throw new Error(`--forward-ports must be comma-separated port numbers, got "${values["forward-ports"]}"`);
  // Orphans of an earlier agent go first, then its pod namespaces (openPodNetwork removes them).
  reapOrphans(values["state-dir"], log);
  const kube = makeKube(values.kubeconfig);
  let network: PodNetwork = await openPodNetwork(podNetwork, log);
  const proxies: Server[] = [];
  if (network.gateway) {
    // Pods reach the API server and the other host services (OpenBao) on the host's 127.0.0.1 through the
    // bridge address, same port.
    const api = new URL(kube.server);
    const targets = [
      { host: api.hostname, port: Number(api.port || 443) },
      ...forwardPorts.map((port) => ({ host: "127.0.0.1", port })),
    ];
    for (const target of targets) {
      try {
        proxies.push(await startTcpProxy({ host: network.gateway, port: target.port }, target, log));
      } catch (err) {
        for (const p of proxies.splice(0)) p.close();
        await network.destroy();
        network = loopbackNetwork(podNetwork, `proxy on ${network.gateway}:${target.port}: ${(err as Error).message}`);
        break;
      }
    }
  }
  if (network.mode === "netns") {
    log(`pod network: netns mode, one network namespace per pod, bridge gateway ${network.gateway}`);
  } else {
    log(`pod network: loopback fallback (pods share the host network, 127.x pod IPs): ${network.reason}`);
  }
  const cfg = agentConfig({
    kubeconfig: values.kubeconfig,
    stateDir: values["state-dir"],
    healthPort: Number(values["health-port"]),
    kubeletPort: Number(values["kubelet-port"]),
    ...(values["tls-cert"] ? { tlsCert: values["tls-cert"] } : {}),
    ...(values["tls-key"] ? { tlsKey: values["tls-key"] } : {}),
    nodes: values.nodes ?? DEFAULT_NODES,
    podNetwork,
    podPrefix: network.podPrefix,
    repoRoot: values["repo-root"] ?? process.cwd(),
  });
  const agent = new NodeAgent(kube, cfg, log, network);

  let started = false;
  const server = createServer((req, res) => {
    if (req.url === "/healthz") {
      res.writeHead(200).end("ok");
      return;
    }
    if (req.url === "/readyz") {
      // Ready means pods can be scheduled to our nodes, which is what `cluster:up` waits for.
      const check = started ? agent.nodes.schedulable() : Promise.resolve({ ok: false, detail: "registering nodes" });
      check
        .then((r) => res.writeHead(r.ok ? 200 : 503).end(r.detail))
        .catch((err: unknown) => res.writeHead(503).end(String(err)));
      return;
    }
    if (req.url === "/status") {
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({
          pods: agent.podCount,
          network: {
            mode: network.mode,
            ...(network.gateway ? { gateway: network.gateway } : {}),
            ...(network.reason ? { reason: network.reason } : {}),
          },
        }),
      );
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(cfg.healthPort, "127.0.0.1");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping containers`);
    server.close();
    for (const p of proxies) p.close();
    await agent.stop();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  // One bad callback must not take every pod down with it.
  process.on("uncaughtException", (err) => log(`uncaught: ${err.stack ?? err.message}`));
  process.on("unhandledRejection", (err) => log(`unhandled rejection: ${String(err)}`));

  if (cfg.kubeletPort && cfg.tlsCert && cfg.tlsKey) {
    startKubeletServers({
      nodes: cfg.nodes.map((n) => ({ name: n.name, address: n.address })),
      port: cfg.kubeletPort,
      cert: cfg.tlsCert,
      key: cfg.tlsKey,
      stateDir: cfg.stateDir,
      podsDir: cfg.podsDir,
      log,
    });
  }
  await agent.start();
  started = true;
  log(`serving nodes ${cfg.nodes.map((n) => `${n.name} (${n.podCIDR})`).join(", ")}`);
}

main().catch((err: unknown) => {
  log(`fatal: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
