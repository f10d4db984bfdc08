// One node-vault client factory for every caller (workload pods, the devcluster's bootstrap, test support):
// the CA to trust, a request timeout, and node-vault's debug logging off (it would print request bodies).
import { readFileSync } from "node:fs";
import nodeVault from "node-vault";

export type NodeVaultClient = nodeVault.client;

export interface TransportOptions {
  address: string;
  /** PEM file of the CA that signed Vault's certificate; the system's CAs when omitted. */
  caFile?: string;
  token?: string;
  timeoutMs?: number;
}

export function makeNodeVault(opts: TransportOptions): NodeVaultClient {
  return nodeVault({
    endpoint: opts.address,
    ...(opts.token ? { token: opts.token } : {}),
    debug: () => undefined,
    requestOptions: {
      timeout: opts.timeoutMs ?? 5000,
      ...(opts.caFile ? { ca: readFileSync(opts.caFile) } : {}),
    },
  });
}
