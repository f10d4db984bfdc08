// A ModelDeployment's API keys from Vault with the user's own login (predict sends one, report scrubs them all), the way the vault CLI finds it: VAULT_ADDR, VAULT_TOKEN
// (else ~/.vault-token, which `vault login` writes), VAULT_CACERT for a private CA, VAULT_NAMESPACE; OpenBao's BAO_*
// names too. spec.auth.apiKeys.path is a KV v2 data path (secret/data/…), read as GET /v1/<path> like the serving
// pods read it (runtime/src/vault/client.ts readKvData). A small https reader: no Vault client in the bundle.
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
import { PluginError } from "./errors.js";

export interface VaultLogin {
  address: string;
  token: string;
  caFile?: string;
  namespace?: string;
}

export interface SecretRef {
  path: string;
  key: string;
}

const pick = (env: NodeJS.ProcessEnv, ...names: string[]) =>
  names.map((n) => env[n]?.trim()).find((v): v is string => v !== undefined && v !== "");

/** The user's Vault login, or undefined when address or token is missing. */
export function vaultLogin(env: NodeJS.ProcessEnv, home: string = homedir()): VaultLogin | undefined {
  const address = pick(env, "VAULT_ADDR", "BAO_ADDR");
  let token = pick(env, "VAULT_TOKEN", "BAO_TOKEN");
  if (token === undefined) {
    try {
      token = readFileSync(join(home, ".vault-token"), "utf8").trim() || undefined;
    } catch {
      token = undefined;
    }
  }
  if (address === undefined || token === undefined) return undefined;
  const caFile = pick(env, "VAULT_CACERT", "BAO_CACERT");
  const namespace = pick(env, "VAULT_NAMESPACE", "BAO_NAMESPACE");
  return { address, token, ...(caFile ? { caFile } : {}), ...(namespace ? { namespace } : {}) };
}

/** The keys one secret value holds (one per line or comma-separated, as runtime/src/serve/vault-api-keys.ts reads). */
export function apiKeysIn(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((k) => k.trim())
    .filter((k) => k !== "" && !k.startsWith("#"));
}

export function firstKey(value: string): string | undefined {
  return apiKeysIn(value)[0];
}

function get(url: URL, login: VaultLogin): Promise<{ status: number; body: string }> {
  const opts: https.RequestOptions = {
    method: "GET",
    headers: {
      "x-vault-token": login.token,
      ...(login.namespace ? { "x-vault-namespace": login.namespace } : {}),
    },
    ...(login.caFile ? { ca: readFileSync(login.caFile) } : {}),
  };
  const lib = url.protocol === "http:" ? http : https;
  return new Promise((resolve, reject) => {
    const r = lib.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    r.setTimeout(15_000, () => r.destroy(new Error("Vault did not answer within 15s")));
    r.on("error", reject);
    r.end();
  });
}

/** The API keys under `ref.key` of the KV v2 secret at `ref.path`; one-line PluginErrors for every way it fails. */
export async function readApiKeys(login: VaultLogin, ref: SecretRef): Promise<string[]> {
  const where = `Vault secret ${ref.path} at ${login.address}`;
  let url: URL;
  try {
    url = new URL(
      `v1/${ref.path.replace(/^\/+/, "")}`,
      login.address.endsWith("/") ? login.address : `${login.address}/`,
    );
  } catch {
    throw new PluginError(
      "NoVaultLogin",
      `VAULT_ADDR "${login.address}" is not a URL`,
      "set VAULT_ADDR=https://HOST:8200",
    );
  }
  let res: { status: number; body: string };
  try {
    res = await get(url, login);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new PluginError(
      "NoVaultLogin",
      `cannot reach ${where} (${e.code ?? e.message})`,
      "check VAULT_ADDR (and VAULT_CACERT for a private CA), or pass --key-file FILE",
    );
  }
  if (res.status === 403 || res.status === 401) {
    throw new PluginError(
      "NoVaultLogin",
      `Vault refused to read ${ref.path} with your token (HTTP ${res.status})`,
      "log in again (vault login) as someone whose policy may read that path, or pass --key-file FILE",
    );
  }
  if (res.status === 404) {
    throw new PluginError(
      "NoVaultLogin",
      `${where} does not exist`,
      "check the ModelDeployment's spec.auth.apiKeys.path",
    );
  }
  if (res.status !== 200) throw new PluginError("NoVaultLogin", `${where}: HTTP ${res.status}`);
  let value: unknown;
  try {
    value = (JSON.parse(res.body) as { data?: { data?: Record<string, unknown> } }).data?.data?.[ref.key];
  } catch {
    value = undefined;
  }
  const keys = typeof value === "string" ? apiKeysIn(value) : [];
  if (keys.length === 0) {
    throw new PluginError(
      "NoVaultLogin",
      `${where} holds no API key under "${ref.key}"`,
      "check the ModelDeployment's spec.auth.apiKeys.key",
    );
  }
  return keys;
}
