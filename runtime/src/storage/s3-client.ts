// The S3 client of a pod or a CLI run, configured the way AWS users already do it: endpoint and region from the
// SDK's own variables, keys from Vault (KV or the AWS secrets engine) when the operator says so, else the SDK's
// default chain (AWS_ACCESS_KEY_ID…, web identity / IRSA token file, shared config, instance metadata). Timeouts and
// retries are short and bounded so an unreachable endpoint fails within seconds instead of hanging.
import { S3Client } from "@aws-sdk/client-s3";
import { POD_ENV } from "../contract/pod-env.js";
import { AWS_ENV, DEFAULT_S3_REGION, S3_KV_KEYS } from "../contract/storage.js";
import { StorageReason } from "../contract/storage-reasons.js";
import { StorageError } from "./errors.js";

export interface S3Settings {
  /** An S3-compatible server (MinIO, SeaweedFS, Ceph RGW); unset: AWS S3 of `region`. */
  endpoint?: string;
  region: string;
  /** Path-style addressing (http://host/bucket/key): what every non-AWS server needs; set with an endpoint. */
  forcePathStyle: boolean;
}

/**
 * The subset of the Vault client (runtime/src/vault/client.ts) the credential sources need. `read` returns Vault's
 * whole response to a plain read ({ data, lease_duration, … }): the AWS secrets engine's keys and their lease.
 */
export interface VaultReader {
  readKvData(path: string): Promise<Record<string, string>>;
  read?(path: string): Promise<Record<string, unknown>>;
}

/** Connecting must succeed within this long: an endpoint that does not answer fails fast. */
const CONNECT_TIMEOUT_MS = 5000;
/**
 * A socket idle this long (no byte either way: a server that accepts and never answers, a stalled body) fails the
 * attempt; a long transfer that keeps moving is never cut. With MAX_ATTEMPTS a silent server fails in about 3 × 15 s.
 */
const SOCKET_TIMEOUT_MS = 15_000;
/** The SDK's attempts per request (1 + 2 retries with its backoff). */
const MAX_ATTEMPTS = 3;
/** Static keys from Vault KV are read again this often, so a rotation reaches running pods. */
const KV_REFRESH_MS = 15 * 60_000;

/** Pure: endpoint, region and addressing from the SDK's standard variables. */
export function s3SettingsFromEnv(env: NodeJS.ProcessEnv): S3Settings {
  const endpoint = env[AWS_ENV.endpointS3] || env[AWS_ENV.endpoint] || undefined;
  const region = env[AWS_ENV.region] || env.AWS_DEFAULT_REGION || DEFAULT_S3_REGION;
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
      throw new StorageError(
        StorageReason.StorageUnreachable,
        endpoint.slice(0, 200),
        `${AWS_ENV.endpointS3} / ${AWS_ENV.endpoint} (spec.storage.endpoint) must be an http(s):// URL`,
      );
    }
  }
  return endpoint === undefined ? { region, forcePathStyle: false } : { endpoint, region, forcePathStyle: true };
}

interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When the SDK must ask again (it asks on every request from five minutes before). */
  expiration?: Date;
}

type CredentialSource = () => Promise<Credentials>;

/** Keys as a source read them, and how long they are valid (seconds; undefined: until someone rotates them). */
export interface ReadKeys {
  credentials: Omit<Credentials, "expiration">;
  leaseSeconds?: number;
}

/** The SDK asks its provider again on every request once the keys expire within this window. */
const SDK_REFRESH_WINDOW_MS = 5 * 60_000;
/** After a failed refresh, the keys in hand are used and the source asked again after this long. */
const RETRY_MS = 30_000;

/**
 * Keys read once and kept until two thirds of their lease (or `refreshMs` without one) has passed; the SDK, which asks
 * its provider on every request near expiry, gets them from here instead of a fresh Vault read each time (the AWS
 * engine would mint new keys per request). A failed refresh keeps the keys in hand while they are still valid.
 */
export function cachedCredentials(
  read: () => Promise<ReadKeys>,
  o: { refreshMs?: number; now?: () => number } = {},
): CredentialSource {
  const now = o.now ?? Date.now;
  const refreshMs = o.refreshMs ?? KV_REFRESH_MS;
  let cached: { credentials: Credentials; refreshAt: number; expiresAt: number } | undefined;
  let inflight: Promise<Credentials> | undefined;
  const refresh = async (): Promise<Credentials> => {
    try {
      const got = await read();
      const t = now();
      const life = got.leaseSeconds && got.leaseSeconds > 0 ? got.leaseSeconds * 1000 : undefined;
      const refreshAt = t + (life !== undefined ? Math.floor((life * 2) / 3) : refreshMs);
      const expiresAt = life !== undefined ? t + life : Number.POSITIVE_INFINITY;
      // Told this, the SDK starts asking at refreshAt (and never later than the real end of the lease).
      const expiration = new Date(Math.min(expiresAt, refreshAt + SDK_REFRESH_WINDOW_MS));
      cached = { credentials: { ...got.credentials, expiration }, refreshAt, expiresAt };
      return cached.credentials;
    } catch (err) {
      if (cached !== undefined && now() < cached.expiresAt) {
        cached.refreshAt = Math.min(now() + RETRY_MS, cached.expiresAt);
        return cached.credentials;
      }
      throw err;
    }
  };
  return () => {
    if (cached !== undefined && now() < cached.refreshAt) return Promise.resolve(cached.credentials);
    inflight ??= refresh().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
}

function unavailable(where: string, detail: string): StorageError {
  return new StorageError(StorageReason.StorageCredentialsUnavailable, where, detail);
}

/** Static keys from a Vault KV v2 secret (S3_KV_KEYS). */
function vaultKvSource(vault: VaultReader, path: string): () => Promise<ReadKeys> {
  const where = `vault:${path}`;
  return async () => {
    let data: Record<string, string>;
    try {
      data = await vault.readKvData(path);
    } catch (err) {
      throw unavailable(where, `reading the S3 keys from Vault failed: ${(err as Error).message}`);
    }
    const accessKeyId = data[S3_KV_KEYS.accessKeyId];
    const secretAccessKey = data[S3_KV_KEYS.secretAccessKey];
    if (!accessKeyId || !secretAccessKey) {
      throw unavailable(
        where,
        `the Vault KV secret lacks ${[!accessKeyId && S3_KV_KEYS.accessKeyId, !secretAccessKey && S3_KV_KEYS.secretAccessKey].filter(Boolean).join(" and ")}; store the S3 keys as ${S3_KV_KEYS.accessKeyId}, ${S3_KV_KEYS.secretAccessKey} (and ${S3_KV_KEYS.sessionToken} if they have one)`,
      );
    }
    const sessionToken = data[S3_KV_KEYS.sessionToken];
    return { credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) } };
  };
}

/**
 * Short-lived keys from the Vault/OpenBao AWS secrets engine (`aws/creds/<role>` or `aws/sts/<role>`): access_key,
 * secret_key, security_token, valid for the response's lease_duration; read again at two thirds of it
 * (cachedCredentials), so a long transfer signs its later requests with fresh keys.
 */
function vaultAwsSource(vault: VaultReader, path: string): () => Promise<ReadKeys> {
  const where = `vault:${path}`;
  return async () => {
    if (vault.read === undefined) throw unavailable(where, "this Vault client cannot read the AWS secrets engine");
    let res: Record<string, unknown>;
    try {
      res = await vault.read(path);
    } catch (err) {
      throw unavailable(where, `reading S3 keys from the Vault AWS secrets engine failed: ${(err as Error).message}`);
    }
    const data = (res.data ?? {}) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
    const accessKeyId = str(data.access_key);
    const secretAccessKey = str(data.secret_key);
    if (!accessKeyId || !secretAccessKey) {
      throw unavailable(where, "the Vault AWS secrets engine returned no access_key / secret_key; check the role");
    }
    const sessionToken = str(data.security_token);
    const lease = typeof res.lease_duration === "number" ? res.lease_duration : 0;
    return {
      credentials: { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      ...(lease > 0 ? { leaseSeconds: lease } : {}),
    };
  };
}

/** Keys the env itself carries (the default chain's first source, read from `env` rather than process.env). */
function envKeys(env: NodeJS.ProcessEnv): Credentials | undefined {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/**
 * The client for `env`: LIFTOFF_S3_VAULT_KV_PATH → keys from Vault KV; LIFTOFF_S3_VAULT_AWS_PATH → keys from the AWS
 * secrets engine; neither → AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY of `env`, else the SDK's default chain. Vault keys
 * are read once here (a missing secret fails now, not at the first transfer) and again when they expire.
 */
export async function s3ClientFromEnv(env: NodeJS.ProcessEnv, vault?: VaultReader): Promise<S3Client> {
  // The SDK (pinned in package.json) warns once on Node < 22 that its *future* releases need Node 22: noise on the
  // stderr where a runtime command prints its one error line. The user's own setting wins.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const settings = s3SettingsFromEnv(env);
  const kvPath = env[POD_ENV.s3VaultKvPath.name];
  const awsPath = env[POD_ENV.s3VaultAwsPath.name];
  let credentials: CredentialSource | Credentials | undefined = envKeys(env);
  const vaultPath = kvPath || awsPath;
  if (vaultPath) {
    if (vault === undefined) {
      throw unavailable(
        `vault:${vaultPath}`,
        `${kvPath ? POD_ENV.s3VaultKvPath.name : POD_ENV.s3VaultAwsPath.name} is set but this process has no Vault client; check the pod's Vault settings (VAULT_ADDR, role)`,
      );
    }
    const source = cachedCredentials(kvPath ? vaultKvSource(vault, kvPath) : vaultAwsSource(vault, vaultPath));
    // The first read now: its failure is the clear one (the SDK would report it only at the first transfer).
    await source();
    credentials = source;
  }
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    forcePathStyle: settings.forcePathStyle,
    ...(credentials ? { credentials } : {}),
    maxAttempts: MAX_ATTEMPTS,
    // An options object: the client builds its own NodeHttpHandler (@smithy/node-http-handler) from it.
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: SOCKET_TIMEOUT_MS },
    // Checksums only where we ask for them (SHA256 on uploads, object-store.ts) or the API requires one.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}
