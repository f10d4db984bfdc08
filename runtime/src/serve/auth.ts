/**
 * Optional auth, one pluggable hook that HTTP and gRPC both call: an
 * Authenticator sees a request's headers (gRPC: its metadata) and says yes or no.
 * The built-in one is a bearer-token set: tokens come from a file (one per line, `#`
 * comments; Vault is vault-api-keys.ts), never from the environment. Comparison hashes both sides to equal
 * length and checks every known token with timingSafeEqual, so timing reveals
 * neither a token's prefix nor which token matched.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";

/**
 * Paths that kubelet probes and Prometheus reach without a token. /monitoring (bin counts, the baseline's edges and
 * top categories) is not one: the pod pushes it to the operator itself (monitoring/pusher.ts; issue #24).
 */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(["/v2/health/live", "/v2/health/ready", "/metrics"]);

/** Reads one request header (HTTP) or metadata entry (gRPC) by lower-case name. */
export type HeaderReader = (name: string) => string | undefined;

export interface Authenticator {
  /**
   * True when the request may be served. May be async (a key source behind a
   * network call); a rejection is answered as the error it carries, else 500.
   */
  authenticate(header: HeaderReader): boolean | Promise<boolean>;
}

/**
 * A second header for the same key: the Kubernetes API server's proxy (`kubectl liftoff predict` goes through it)
 * drops Authorization before it forwards a request, so a client behind it sends `X-API-Key: <key>` instead.
 */
export const API_KEY_HEADER = "x-api-key";

/**
 * The request's credentials as an Authorization value: that header when present, else `Bearer <X-API-Key>`, so a
 * key in either header goes through the same check and hashes to the same caller.
 */
export function authorizationOf(header: HeaderReader): string | undefined {
  const a = header("authorization");
  if (a !== undefined && a !== "") return a;
  const key = header(API_KEY_HEADER)?.trim();
  return key ? `Bearer ${key}` : undefined;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * The caller's identity for binding predictions to it: a hash of the bearer token (of the whole Authorization
 * header when it is not a bearer token); "" without one. Never the key itself.
 */
export function callerOf(authorization: string | undefined): string {
  if (authorization === undefined || authorization === "") return "";
  const token = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization)?.[1] ?? authorization;
  return digest(`liftoff-caller:${token}`).toString("base64url");
}

export class TokenSet implements Authenticator {
  private readonly digests: Buffer[];

  constructor(tokens: readonly string[]) {
    this.digests = tokens.map(digest);
  }

  authenticate(header: HeaderReader): boolean {
    return this.check(authorizationOf(header));
  }

  /** True when the Authorization header carries one of the tokens. */
  check(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
    if (!m?.[1]) return false;
    const given = digest(m[1]);
    let ok = false;
    for (const d of this.digests) ok = timingSafeEqual(d, given) || ok;
    return ok;
  }
}

function parseTokenFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** Undefined when auth is off (no file). */
export async function loadTokens(file: string | undefined): Promise<TokenSet | undefined> {
  const tokens: string[] = [];
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read --auth-token-file: ${(err as NodeJS.ErrnoException).code ?? "error"}`);
    }
    const fromFile = parseTokenFile(text);
    if (fromFile.length === 0) throw new ConfigError("--auth-token-file holds no tokens");
    tokens.push(...fromFile);
  }
  return tokens.length > 0 ? new TokenSet(tokens) : undefined;
}
