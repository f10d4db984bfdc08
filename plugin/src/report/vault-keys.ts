// The ModelDeployment's API keys, read from Vault with the user's own login (VAULT_ADDR + VAULT_TOKEN or
// ~/.vault-token, VAULT_CACERT, VAULT_NAMESPACE), only so the report can scrub those exact strings. Never fails the
// report: without a login it says why, and the bundle falls back to pattern redaction.
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request } from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";

export interface VaultLogin {
  addr: string;
  token: string;
  ca?: Buffer;
  namespace?: string;
}

/** The user's Vault login from the environment, or why there is none. */
export function vaultLogin(env: NodeJS.ProcessEnv): VaultLogin | { missing: string } {
  const addr = env.VAULT_ADDR;
  if (!addr) return { missing: "VAULT_ADDR is not set" };
  let token = env.VAULT_TOKEN;
  const file = join(env.HOME ?? homedir(), ".vault-token");
  if (!token && existsSync(file)) token = readFileSync(file, "utf8").trim();
  if (!token) return { missing: "no VAULT_TOKEN and no ~/.vault-token" };
  const login: VaultLogin = { addr: addr.replace(/\/+$/, ""), token };
  if (env.VAULT_CACERT) {
    try {
      login.ca = readFileSync(env.VAULT_CACERT);
    } catch {
      return { missing: `VAULT_CACERT ${env.VAULT_CACERT} cannot be read` };
    }
  }
  if (env.VAULT_NAMESPACE) login.namespace = env.VAULT_NAMESPACE;
  return login;
}

/** One KV v2 value (`path` is the data path, e.g. secret/data/team/penguins-api). */
export function readKv(login: VaultLogin, path: string, key: string, timeoutMs = 10_000): Promise<string> {
  const url = new URL(`${login.addr}/v1/${path.replace(/^\/+/, "")}`);
  const headers: Record<string, string> = { "X-Vault-Token": login.token };
  if (login.namespace) headers["X-Vault-Namespace"] = login.namespace;
  return new Promise((resolve, reject) => {
    const opts = { method: "GET", headers, timeout: timeoutMs, ...(login.ca ? { ca: login.ca } : {}) };
    const req = (url.protocol === "https:" ? request : httpRequest)(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`Vault answered HTTP ${res.statusCode} for ${path}`));
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
            data?: { data?: Record<string, unknown> };
          };
          const v = body.data?.data?.[key];
          if (typeof v !== "string") return reject(new Error(`${path} has no key "${key}"`));
          resolve(v);
        } catch {
          reject(new Error(`Vault's answer for ${path} is not JSON`));
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`Vault at ${login.addr} did not answer`)));
    req.on("error", (err) => reject(err));
    req.end();
  });
}

/** The keys a token file holds: one per line, blank lines and # comments skipped (runtime/src/serve/auth.ts). */
export function splitKeys(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}
