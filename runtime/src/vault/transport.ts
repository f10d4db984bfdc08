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
  /** Headers sent with every request (X-Liftoff-Pod, which Vault's audit log records: contract/vault-audit.ts). */
  headers?: Record<string, string>;
}

export function makeNodeVault(opts: TransportOptions): NodeVaultClient {
  const client = nodeVault({
    endpoint: opts.address,
    ...(opts.token ? { token: opts.token } : {}),
    debug: () => undefined,
    requestOptions: {
      timeout: opts.timeoutMs ?? 5000,
      ...(opts.caFile ? { ca: readFileSync(opts.caFile) } : {}),
    },
  });
  const headers = opts.headers;
  if (headers) {
    // Added per request in a fresh object: node-vault writes X-Vault-Token into the headers object it is given, so a
    // headers object in requestOptions would be shared by every call and keep the first token after a new login.
    const request = client.request.bind(client);
    client.request = (options) => request({ ...options, headers: { ...headers, ...options?.headers } });
  }
  return client;
}
