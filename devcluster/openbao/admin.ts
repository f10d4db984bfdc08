// The devcluster's own root-token client of its OpenBao (bootstrap and test support; never used by workloads).
// Errors keep only Vault's status and message: the transport's own errors carry request bodies and TLS options.
import { callFailure } from "../../runtime/src/vault/errors.js";
import { makeNodeVault } from "../../runtime/src/vault/transport.js";
import { roleBody, rolePolicy, rolePolicyName, type WorkloadRole } from "./policies.js";

export interface AdminVault {
  read(path: string): Promise<unknown>;
  write(path: string, body: unknown): Promise<unknown>;
  delete(path: string): Promise<unknown>;
}

class OpenBaoAdminError extends Error {
  override name = "OpenBaoAdminError";
  constructor(
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

export function adminVault(address: string, caFile: string, token?: string, timeoutMs = 10_000): AdminVault {
  const vault = makeNodeVault({ address, caFile, ...(token ? { token } : {}), timeoutMs });
  const call = async (what: string, path: string, run: () => Promise<unknown>) => {
    try {
      return await run();
    } catch (err) {
      const f = callFailure(err);
      throw new OpenBaoAdminError(f.status, `OpenBao ${what} ${path}: ${f.detail}`);
    }
  };
  return {
    read: (path) => call("read", path, () => vault.read(path)),
    write: (path, body) => call("write", path, () => vault.write(path, body)),
    delete: (path) => call("delete", path, () => vault.delete(path)),
  };
}

/** Writes a workload's least-privilege policy and the Kubernetes-auth role that grants it (policies.ts). */
export async function writeWorkloadRole(admin: AdminVault, authMount: string, role: WorkloadRole): Promise<void> {
  await admin.write(`sys/policies/acl/${rolePolicyName(role)}`, { policy: rolePolicy(role) });
  await admin.write(`auth/${authMount}/role/${role.name}`, roleBody(role));
}
