// The OpenBao part of cluster:up: its config and certificate before it starts; initialised, unsealed and
// bootstrapped after; and the connection file clients read (address for the host, address for pods, CA).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ClusterConfig } from "../cluster/config.js";
import { ClusterError } from "../cluster/errors.js";
import { issueServingCert, type Pki } from "../cluster/pki.js";
import { agentNetwork } from "../node-agent/agent-status.js";
import { adminVault } from "./admin.js";
import { bootstrapVault } from "./bootstrap.js";
import { initAndUnseal } from "./init.js";
import { reviewerToken } from "./reviewer.js";
import { openbaoAddress, openbaoConfig, openbaoLayout } from "./server.js";

/** What a client needs to reach this cluster's OpenBao; no secret in it. */
export interface VaultConnection {
  /** For processes on the host (tests, the operator run from a shell). */
  address: string;
  /** For pods: the bridge gateway in netns mode, loopback in the fallback mode. */
  podAddress: string;
  /** The cluster CA, which signed OpenBao's certificate (pods get it from the kube-root-ca.crt ConfigMap). */
  caFile: string;
  authMount: string;
}

/** Before start: the data folder, the serving certificate (loopback + bridge gateway) and the config file. */
export function prepareOpenBao(config: ClusterConfig, pki: Pki): void {
  const layout = openbaoLayout(config);
  mkdirSync(layout.dataDir, { recursive: true, mode: 0o700 });
  const tls = issueServingCert(pki, "openbao", ["127.0.0.1", config.podGateway], ["localhost"]);
  writeFileSync(layout.configFile, openbaoConfig(config, layout, tls));
}

/** After start: unsealed and active; the bootstrap (auth, engines, policy) when `bootstrap` is set. */
export async function readyOpenBao(
  config: ClusterConfig,
  pki: Pki,
  kc: KubeConfig,
  opts: { bootstrap: boolean },
): Promise<string[]> {
  const layout = openbaoLayout(config);
  const address = openbaoAddress(config);
  let rootToken: string;
  try {
    ({ rootToken } = await initAndUnseal(layout, address, pki.caCert));
  } catch (err) {
    if (err instanceof ClusterError) throw err;
    throw new ClusterError(
      `OpenBao did not initialise or unseal: ${(err as Error).message}; see ${config.logDir}/openbao.log`,
    );
  }
  if (!opts.bootstrap) return [];
  try {
    return await bootstrapVault(adminVault(address, pki.caCert, rootToken), {
      kubernetesHost: `https://127.0.0.1:${config.ports.apiserver}`,
      kubernetesCaCert: readFileSync(pki.caCert, "utf8"),
      tokenReviewerJwt: await reviewerToken(kc),
    });
  } catch (err) {
    throw new ClusterError(`OpenBao bootstrap failed: ${(err as Error).message}`);
  }
}

/** Once the node agent runs: where pods reach OpenBao depends on the network mode it could set up. */
export async function writeVaultConnection(config: ClusterConfig, pki: Pki): Promise<VaultConnection> {
  const gateway = (await agentNetwork(config.ports.nodeAgent))?.gateway;
  const conn: VaultConnection = {
    address: openbaoAddress(config),
    podAddress: `https://${gateway ?? "127.0.0.1"}:${config.ports.openbao}`,
    caFile: pki.caCert,
    authMount: "kubernetes",
  };
  writeFileSync(openbaoLayout(config).connectionFile, `${JSON.stringify(conn, null, 2)}\n`);
  return conn;
}

export function readVaultConnection(config: ClusterConfig): VaultConnection {
  const file = openbaoLayout(config).connectionFile;
  if (!existsSync(file))
    throw new ClusterError(`cluster "${config.name}" has no OpenBao connection file ${file}; run cluster:up`);
  return JSON.parse(readFileSync(file, "utf8")) as VaultConnection;
}
