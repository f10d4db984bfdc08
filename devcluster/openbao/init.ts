// Initialises OpenBao once (one unseal key share), unseals it at every start and waits until it is active.
// The root token and unseal key go to a 0600 file under .liftoff/<cluster>/openbao/ and are never printed.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { ClusterError } from "../cluster/errors.js";
import { type AdminVault, adminVault } from "./admin.js";
import type { OpenBaoLayout } from "./server.js";

export interface InitSecrets {
  rootToken: string;
  unsealKey: string;
}

interface SealStatus {
  initialized: boolean;
  sealed: boolean;
}

export function readInitSecrets(layout: OpenBaoLayout): InitSecrets | undefined {
  if (!existsSync(layout.initFile)) return undefined;
  const parsed = JSON.parse(readFileSync(layout.initFile, "utf8")) as Partial<InitSecrets>;
  if (!parsed.rootToken || !parsed.unsealKey)
    throw new ClusterError(`${layout.initFile} is incomplete; run cluster:up -- --fresh`);
  return { rootToken: parsed.rootToken, unsealKey: parsed.unsealKey };
}

function writeInitSecrets(layout: OpenBaoLayout, secrets: InitSecrets): void {
  const tmp = `${layout.initFile}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(secrets)}\n`, { mode: 0o600 });
  renameSync(tmp, layout.initFile);
}

async function waitActive(vault: AdminVault, deadline: number): Promise<void> {
  let last = "";
  while (Date.now() < deadline) {
    // sys/health answers 200 only on the active (unsealed, leader) node; node-vault returns its body for any code.
    const health = (await vault.read("sys/health").catch((err: Error) => ({ error: err.message }))) as {
      sealed?: boolean;
      standby?: boolean;
      initialized?: boolean;
      error?: string;
    };
    if (health.initialized && health.sealed === false && health.standby === false) return;
    last = JSON.stringify(health);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new ClusterError(`OpenBao did not become active after unsealing (last health: ${last})`);
}

/** Idempotent: initialises when new, unseals when sealed; returns the root token for bootstrapping. */
export async function initAndUnseal(
  layout: OpenBaoLayout,
  address: string,
  caFile: string,
  timeoutMs = 60_000,
): Promise<InitSecrets> {
  const deadline = Date.now() + timeoutMs;
  // Initialising a fresh raft store waits for its first election: slow on a loaded machine.
  const vault = adminVault(address, caFile, undefined, timeoutMs);
  const status = (await vault.read("sys/seal-status")) as SealStatus;
  let secrets = readInitSecrets(layout);
  if (!status.initialized) {
    if (secrets) {
      throw new ClusterError(
        `OpenBao's data in ${layout.dataDir} is gone but ${layout.initFile} is still there; run cluster:up -- --fresh`,
      );
    }
    const init = (await vault.write("sys/init", { secret_shares: 1, secret_threshold: 1 })) as {
      keys_base64: string[];
      root_token: string;
    };
    const unsealKey = init.keys_base64[0];
    if (!unsealKey || !init.root_token) throw new ClusterError("OpenBao's sys/init returned no key or token");
    secrets = { rootToken: init.root_token, unsealKey };
    writeInitSecrets(layout, secrets);
  } else if (!secrets) {
    throw new ClusterError(
      `OpenBao in ${layout.dataDir} is initialised but its keys file ${layout.initFile} is missing; run cluster:up -- --fresh`,
    );
  }
  if (status.sealed || !status.initialized) {
    const res = (await vault.write("sys/unseal", { key: secrets.unsealKey })) as { sealed: boolean };
    if (res.sealed)
      throw new ClusterError(`OpenBao stayed sealed: the key in ${layout.initFile} does not match its data`);
  }
  await waitActive(vault, deadline);
  return secrets;
}
