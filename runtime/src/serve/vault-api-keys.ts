/**
 * API keys from Vault as the runtime's Authenticator (auth.ts): the KV v2 secret at --auth-vault-path is re-read
 * every --auth-refresh-seconds, so a rotated key is accepted within that time without restarting the pod; a key
 * that disappears stays valid for --auth-grace-seconds after this pod noticed. The value under --auth-vault-key
 * holds this model's keys (one per line or comma-separated); the secret's other values are other models' keys,
 * refused exactly like an unknown key (401, same body), so an answer never tells whether a key exists. Vault being unreachable later keeps the last keys (logged, never the values).
 */
import { createHash } from "node:crypto";
import { VaultError } from "../vault/errors.js";
import { type Authenticator, authorizationOf, type HeaderReader } from "./auth.js";

export interface ApiKeySource {
  /** The secret's data map; rejects with a VaultError (its message names path and role, never a value). */
  read(): Promise<Record<string, string>>;
}

export interface ApiKeyOptions {
  /** The entry of the secret holding this model's keys. */
  key: string;
  refreshMs: number;
  graceMs: number;
  now?: () => number;
  log?: { info(msg: string): void; warn(msg: string): void };
  /** Named in errors: the secret's path and the Vault role. */
  where?: { path: string; role: string };
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

/** The keys one value holds (pure). */
export function parseKeys(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((k) => k.trim())
    .filter((k) => k !== "" && !k.startsWith("#"));
}

export class VaultApiKeys implements Authenticator {
  /** sha256 of the current keys: comparing digests leaks nothing useful about a key through timing. */
  private mine = new Set<string>();
  /** Replaced keys → until when they are still accepted. */
  private readonly retiring = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly source: ApiKeySource,
    private readonly opts: ApiKeyOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  /** The first read: fails (VaultError) when the keys cannot be read, so the pod does not serve without them. */
  async start(): Promise<void> {
    this.apply(await this.source.read(), true);
    this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.refresh(), this.opts.refreshMs);
    this.timer.unref();
  }

  /** One re-read; failures keep the keys we have. */
  async refresh(): Promise<void> {
    try {
      this.apply(await this.source.read(), false);
    } catch (err) {
      this.opts.log?.warn(`API keys not refreshed, keeping the last ones: ${(err as Error).message}`);
    } finally {
      if (this.timer) this.schedule();
    }
  }

  /** Applies a read of the secret (pure but for the clock). */
  apply(data: Record<string, string>, first: boolean): void {
    const value = data[this.opts.key];
    const keys = value === undefined ? [] : parseKeys(value);
    if (keys.length === 0) {
      const w = this.opts.where;
      const message = `Vault path "${w?.path ?? "?"}" (role "${w?.role ?? "?"}") has no API keys under "${this.opts.key}"`;
      if (first) throw new VaultError("SecretNotFound", `SecretNotFound: ${message}`, w ?? {});
      // A secret emptied by mistake must not lock every client out at once: the current keys start retiring.
      this.opts.log?.warn(`${message}; the current keys stay valid for the grace period`);
    }
    const next = new Set(keys.map(digest));
    const until = this.now() + this.opts.graceMs;
    let rotated = 0;
    for (const d of this.mine) {
      if (!next.has(d)) {
        this.retiring.set(d, until);
        rotated++;
      }
    }
    for (const d of next) this.retiring.delete(d);
    this.mine = next;
    if (rotated > 0) this.opts.log?.info(`API keys rotated: ${rotated} replaced key(s) accepted for the grace period`);
  }

  private accepted(d: string): boolean {
    if (this.mine.has(d)) return true;
    const until = this.retiring.get(d);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.retiring.delete(d);
    return false;
  }

  authenticate(header: HeaderReader): boolean {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorizationOf(header) ?? "");
    if (!m?.[1]) return false;
    return this.accepted(digest(m[1]));
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
