// A workload's Vault session: Kubernetes-auth login with the pod's projected service-account token (audience
// "vault"), token renewal at two thirds of its lease, a fresh login when renewal fails or a call is refused
// with an expired token, the reads workloads need (KV v2, transit data keys), and the KV writes and deletes of the
// per-version data-key store (runtime/src/crypto/version-keys.ts).
import { readFile } from "node:fs/promises";
import { POD_HEADER } from "../contract/vault-audit.js";
import { VaultError, vaultError } from "./errors.js";
import { makeNodeVault, type NodeVaultClient } from "./transport.js";

export interface VaultClientOptions {
  /** e.g. https://10.N.0.1:PORT */
  address: string;
  /** CA bundle to trust. */
  caFile?: string;
  /** Kubernetes-auth role. */
  role: string;
  /** Default "kubernetes". */
  authMount?: string;
  /** Projected SA token, audience "vault"; default /var/run/secrets/liftoff/vault/token. */
  tokenFile?: string;
  /** This pod's name: sent with every call as X-Liftoff-Pod, so Vault's audit log (the access record) names it. */
  pod?: string;
}

export interface VaultClient {
  /** `path` is a KV v2 data path such as "secret/data/team-a/postgres". */
  readKv(path: string, key: string): Promise<string>;
  /** transit/datakey/wrapped/<key>: a fresh 256-bit data key, returned only wrapped. */
  generateWrappedDataKey(transitKey: string): Promise<{ wrappedKey: string }>;
  /** transit/decrypt/<key>: the 32-byte data key. */
  unwrapDataKey(transitKey: string, wrappedKey: string): Promise<Buffer>;
  /** Stops renewal. */
  close(): void;
}

/** KV v2 writes and deletes: the DataSet pods' per-version data-key store (runtime/src/crypto/version-keys.ts). */
interface VaultKvWriter {
  /** A new version of the KV v2 secret at data path `path` (e.g. "secret/data/team-a/…"). */
  writeKv(path: string, data: Record<string, string>): Promise<void>;
  /**
   * Deletes the secret's metadata and with it every version, permanently (KV v2 `DELETE <mount>/metadata/<p>`);
   * `path` is the data path. A secret that does not exist is not an error.
   */
  destroyKv(path: string): Promise<void>;
}

/** Also the whole data map of a KV v2 secret (the serving runtime reads every model's keys of a shared secret). */
export interface VaultKvClient extends VaultClient, VaultKvWriter {
  readKvData(path: string): Promise<Record<string, string>>;
  /** Vault's whole response to a read of `path` ({ data, lease_duration, … }): the AWS secrets engine's keys. */
  read(path: string): Promise<Record<string, unknown>>;
}

export const DEFAULT_TOKEN_FILE = "/var/run/secrets/liftoff/vault/token";
/** After a failed renewal or login, the next attempt waits this long (doubling up to a minute). */
const RETRY_MS = 2000;
const MAX_RETRY_MS = 60_000;

interface Lease {
  /** Seconds, as Vault granted. */
  duration: number;
  renewable: boolean;
}

/** When to renew a lease of `seconds` (pure): two thirds of the way through, at least one second from now. */
export function renewDelayMs(seconds: number): number {
  return Math.max(1000, Math.floor((seconds * 1000 * 2) / 3));
}

class KubernetesAuthClient implements VaultKvClient {
  private readonly vault: NodeVaultClient;
  private readonly mount: string;
  private readonly tokenFile: string;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private loggingIn: Promise<void> | undefined;
  private retryMs = RETRY_MS;

  constructor(private readonly opts: VaultClientOptions) {
    this.vault = makeNodeVault({
      address: opts.address,
      ...(opts.caFile ? { caFile: opts.caFile } : {}),
      ...(opts.pod ? { headers: { [POD_HEADER]: opts.pod } } : {}),
    });
    this.mount = opts.authMount ?? "kubernetes";
    this.tokenFile = opts.tokenFile ?? DEFAULT_TOKEN_FILE;
  }

  private where(path: string) {
    return { path, role: this.opts.role };
  }

  /** One login at a time; concurrent callers share it. */
  login(): Promise<void> {
    this.loggingIn ??= this.doLogin().finally(() => {
      this.loggingIn = undefined;
    });
    return this.loggingIn;
  }

  private async doLogin(): Promise<void> {
    const path = `auth/${this.mount}/login`;
    let jwt: string;
    try {
      // Read every time: the node agent / kubelet rotates the projected token before it expires.
      jwt = (await readFile(this.tokenFile, "utf8")).trim();
    } catch (err) {
      throw new VaultError(
        "VaultPermissionDenied",
        `VaultPermissionDenied: cannot read the service-account token file ${this.tokenFile} to log in to Vault path "${path}" as role "${this.opts.role}": ${(err as NodeJS.ErrnoException).code ?? "error"}`,
        this.where(path),
      );
    }
    let res: { auth?: { client_token?: string; lease_duration?: number; renewable?: boolean } };
    try {
      res = await this.vault.write(path, { role: this.opts.role, jwt });
    } catch (err) {
      throw vaultError("login", err, this.where(path));
    }
    const token = res.auth?.client_token;
    if (!token)
      throw new VaultError(
        "VaultPermissionDenied",
        `Vault path "${path}" returned no token for role "${this.opts.role}"`,
        this.where(path),
      );
    this.vault.token = token;
    this.retryMs = RETRY_MS;
    this.schedule({ duration: res.auth?.lease_duration ?? 0, renewable: res.auth?.renewable ?? false });
  }

  private schedule(lease: Lease): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    // A token without a lease (root-like, TTL 0) never needs renewing.
    if (lease.duration <= 0) return;
    const action = lease.renewable ? () => this.renew(lease.duration) : () => this.relogin();
    this.timer = setTimeout(() => void action(), renewDelayMs(lease.duration));
    // Renewal must not keep a finished Job's process alive.
    this.timer.unref();
  }

  private async renew(previous: number): Promise<void> {
    try {
      const res = (await this.vault.write("auth/token/renew-self", {})) as {
        auth?: { lease_duration?: number; renewable?: boolean };
      };
      const duration = res.auth?.lease_duration ?? 0;
      // Near the token's max TTL Vault grants less each time; a fresh login is cheaper than renewing down to zero.
      if (duration < previous / 3) return this.relogin();
      this.schedule({ duration, renewable: res.auth?.renewable ?? false });
    } catch {
      await this.relogin();
    }
  }

  private async relogin(): Promise<void> {
    try {
      await this.login();
    } catch {
      // Vault is down or refuses us for now: try again later; calls meanwhile report the reason themselves.
      if (this.closed) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.relogin(), this.retryMs);
      this.timer.unref();
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    }
  }

  /** A call; refused with 403 once (an expired or revoked token), it logs in again and retries. */
  private async call<T>(
    op: "read" | "write" | "delete" | "datakey" | "decrypt",
    path: string,
    run: () => Promise<T>,
  ): Promise<T> {
    try {
      return await run();
    } catch (err) {
      const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
      if (status !== 403) throw vaultError(op, err, this.where(path));
    }
    await this.login();
    try {
      return await run();
    } catch (err) {
      throw vaultError(op, err, this.where(path));
    }
  }

  async readKvData(path: string): Promise<Record<string, string>> {
    const res = await this.call("read", path, () => this.vault.read(path) as Promise<{ data?: { data?: unknown } }>);
    const data = res.data?.data;
    if (!data || typeof data !== "object") {
      throw new VaultError(
        "SecretNotFound",
        `SecretNotFound: Vault path "${path}" (role "${this.opts.role}") has no current version`,
        this.where(path),
      );
    }
    return Object.fromEntries(Object.entries(data).filter((e): e is [string, string] => typeof e[1] === "string"));
  }

  async read(path: string): Promise<Record<string, unknown>> {
    const res = await this.call("read", path, () => this.vault.read(path) as Promise<unknown>);
    if (!res || typeof res !== "object") {
      throw new VaultError("SecretNotFound", `SecretNotFound: Vault path "${path}" returned nothing`, this.where(path));
    }
    return res as Record<string, unknown>;
  }

  async writeKv(path: string, data: Record<string, string>): Promise<void> {
    await this.call("write", path, () => this.vault.write(path, { data }));
  }

  async destroyKv(path: string): Promise<void> {
    const metadata = kvMetadataPath(path);
    await this.call("delete", metadata, () => this.vault.delete(metadata));
  }

  async readKv(path: string, key: string): Promise<string> {
    const value = (await this.readKvData(path))[key];
    if (value === undefined) {
      throw new VaultError(
        "SecretNotFound",
        `SecretNotFound: Vault path "${path}" (role "${this.opts.role}") has no string key "${key}"`,
        this.where(path),
      );
    }
    return value;
  }

  async generateWrappedDataKey(transitKey: string): Promise<{ wrappedKey: string }> {
    const path = `transit/datakey/wrapped/${transitKey}`;
    const res = await this.call(
      "datakey",
      path,
      () => this.vault.write(path, { bits: 256 }) as Promise<{ data?: { ciphertext?: string } }>,
    );
    const wrappedKey = res.data?.ciphertext;
    if (!wrappedKey)
      throw new VaultError(
        "SecretNotFound",
        `SecretNotFound: Vault path "${path}" returned no ciphertext`,
        this.where(path),
      );
    return { wrappedKey };
  }

  async unwrapDataKey(transitKey: string, wrappedKey: string): Promise<Buffer> {
    const path = `transit/decrypt/${transitKey}`;
    const res = await this.call(
      "decrypt",
      path,
      () => this.vault.write(path, { ciphertext: wrappedKey }) as Promise<{ data?: { plaintext?: string } }>,
    );
    const key = Buffer.from(res.data?.plaintext ?? "", "base64");
    if (key.length !== 32) {
      key.fill(0);
      throw new VaultError(
        "SecretNotFound",
        `SecretNotFound: Vault path "${path}" (role "${this.opts.role}") did not return a 32-byte data key`,
        this.where(path),
      );
    }
    return key;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}

/** "secret/data/a/b" → "secret/metadata/a/b" (KV v2: the metadata endpoint of the same secret). */
function kvMetadataPath(dataPath: string): string {
  const m = /^([^/]+)\/data\/(.+)$/.exec(dataPath);
  if (!m) throw new Error(`"${dataPath}" is not a KV v2 data path (<mount>/data/<path>)`);
  return `${m[1]}/metadata/${m[2]}`;
}

export async function loginVaultClient(opts: VaultClientOptions): Promise<VaultKvClient> {
  const client = new KubernetesAuthClient(opts);
  await client.login();
  return client;
}
