// Operator flags for the result-reporting endpoint when the operator runs on the host (out of cluster: the tests
// and npm start):
// a serving certificate from the test cluster's CA for the addresses pods reach the host on (the pod bridge's
// gateway in netns mode, loopback otherwise), and the URL pods post to.
import { createServer } from "node:net";
import { firstServiceIP } from "./cluster.js";
import { clusterConfig } from "./config.js";
import { ensurePki, issueServingCert } from "./pki.js";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen({ port: 0, host: "0.0.0.0" }, () => {
      const address = s.address();
      const port = typeof address === "object" && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** The address pods reach the host on, as the node agent reports it (GET /status). */
export async function podHostAddress(clusterName: string): Promise<string> {
  const config = clusterConfig(clusterName);
  const res = await fetch(`http://127.0.0.1:${config.ports.nodeAgent}/status`);
  const status = (await res.json()) as { network?: { mode?: string; gateway?: string } };
  return status.network?.mode === "netns" && status.network.gateway ? status.network.gateway : "127.0.0.1";
}

export async function reportFlags(clusterName: string): Promise<string[]> {
  const config = clusterConfig(clusterName);
  // The same arguments the cluster used, so its own certificates are left as they are.
  const pki = ensurePki(config.pkiDir, firstServiceIP(config.serviceCIDR), [config.podGateway]);
  const tls = issueServingCert(pki, "liftoff-report", ["127.0.0.1", config.podGateway]);
  const host = await podHostAddress(clusterName);
  const port = await freePort();
  return [
    `--report-bind-address=${host}:${port}`,
    `--report-url=https://${host}:${port}/v1/report`,
    `--report-tls-cert=${tls.cert}`,
    `--report-tls-key=${tls.key}`,
    `--report-ca=${tls.ca}`,
  ];
}
