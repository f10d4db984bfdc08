// The S3 server (SeaweedFS) as a cluster:up component: its key pairs and identities file before it starts; after
// it (and OpenBao) is up, the bucket `liftoff`, the liftoff identity's keys in OpenBao KV (secret/data/liftoff/s3)
// with the policy that lets the dev cluster's roles read them, and the connection file tests read.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_S3_REGION } from "../../runtime/src/contract/storage.js";
import type { ComponentSpec } from "../cluster/components.js";
import type { ClusterConfig } from "../cluster/config.js";
import { ClusterError } from "../cluster/errors.js";
import type { AdminVault } from "../openbao/admin.js";
import { DEV_S3_POLICY, devS3Policy } from "../openbao/policies.js";
import { ensureBucket, s3ClientFor } from "./bucket.js";
import {
  generateS3Keys,
  S3_BUCKET,
  S3_VAULT_KV_PATH,
  type S3Keys,
  s3IdentitiesConfig,
  type WeedPorts,
  weedHealthUrl,
  weedPortsFrom,
  weedServerArgs,
} from "./server.js";

export interface SeaweedfsLayout {
  dir: string;
  dataDir: string;
  /** weed's -s3.config (the identities with their keys): 0600. */
  configFile: string;
  /** The three key pairs (0600): kept across restarts, read by the test support. */
  keysFile: string;
  /** Where host-side and pod-side clients reach it (no secret in it). */
  connectionFile: string;
}

export function seaweedfsLayout(config: ClusterConfig): SeaweedfsLayout {
  const dir = join(config.stateDir, "seaweedfs");
  return {
    dir,
    dataDir: join(dir, "data"),
    configFile: join(dir, "s3.json"),
    keysFile: join(dir, "keys.json"),
    connectionFile: join(dir, "connection.json"),
  };
}

/** The S3 port and the nine internal ports after it (loopback only). */
export function clusterWeedPorts(config: ClusterConfig): WeedPorts {
  return weedPortsFrom(config.ports.s3);
}

/** What a client needs to reach this cluster's S3 server; no secret in it. */
export interface S3Connection {
  /** For processes on the host (tests, the AWS CLI). */
  endpoint: string;
  /** For pods: the bridge gateway in netns mode (the node agent forwards the port), loopback in the fallback mode. */
  podEndpoint: string;
  region: string;
  /** The bucket cluster:up creates. */
  bucket: string;
  /** The KV v2 data path of the liftoff identity's keys (accessKeyId, secretAccessKey). */
  vaultKvPath: string;
}

export function seaweedfsComponent(config: ClusterConfig, weed: string): ComponentSpec {
  const layout = seaweedfsLayout(config);
  const ports = clusterWeedPorts(config);
  return {
    name: "seaweedfs",
    command: weed,
    args: weedServerArgs({ dataDir: layout.dataDir, configFile: layout.configFile, ports }),
    health: { url: weedHealthUrl(ports) },
    startTimeoutSeconds: 60,
  };
}

export function readS3Keys(layout: SeaweedfsLayout): S3Keys | undefined {
  if (!existsSync(layout.keysFile)) return undefined;
  const keys = JSON.parse(readFileSync(layout.keysFile, "utf8")) as Partial<S3Keys>;
  if (!keys.admin?.accessKeyId || !keys.liftoff?.accessKeyId || !keys.readonly?.accessKeyId)
    throw new ClusterError(`${layout.keysFile} is incomplete; run cluster:up -- --fresh`);
  return keys as S3Keys;
}

function writePrivate(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

/** Before start: the data folder, the key pairs (made once) and the identities file. */
export function prepareSeaweedfs(config: ClusterConfig): S3Keys {
  const layout = seaweedfsLayout(config);
  mkdirSync(layout.dataDir, { recursive: true, mode: 0o700 });
  let keys = readS3Keys(layout);
  if (!keys) {
    keys = generateS3Keys();
    writePrivate(layout.keysFile, `${JSON.stringify(keys, null, 2)}\n`);
  }
  writePrivate(layout.configFile, s3IdentitiesConfig(keys));
  return keys;
}

/**
 * After start (OpenBao bootstrapped): the bucket, the liftoff keys in KV and the policy that reads them.
 * Idempotent: cluster:up runs it every time.
 */
export async function readySeaweedfs(config: ClusterConfig, vault: AdminVault): Promise<void> {
  const keys = readS3Keys(seaweedfsLayout(config));
  if (!keys) throw new ClusterError("the S3 server has no keys; run cluster:up");
  const admin = s3ClientFor(`http://127.0.0.1:${config.ports.s3}`, keys.admin);
  try {
    await ensureBucket(admin, S3_BUCKET);
  } catch (err) {
    throw new ClusterError(`S3 bucket ${S3_BUCKET}: ${(err as Error).message}; see ${config.logDir}/seaweedfs.log`);
  } finally {
    admin.destroy();
  }
  try {
    await vault.write(S3_VAULT_KV_PATH, { data: keys.liftoff });
    await vault.write(`sys/policies/acl/${DEV_S3_POLICY}`, { policy: devS3Policy(S3_VAULT_KV_PATH) });
  } catch (err) {
    throw new ClusterError(`seeding OpenBao with the S3 keys failed: ${(err as Error).message}`);
  }
}

/** Once the node agent runs: pods reach S3 on the same host as OpenBao (its pod address), port `s3`. */
export function writeS3Connection(config: ClusterConfig, podHost: string): S3Connection {
  const conn: S3Connection = {
    endpoint: `http://127.0.0.1:${config.ports.s3}`,
    podEndpoint: `http://${podHost}:${config.ports.s3}`,
    region: DEFAULT_S3_REGION,
    bucket: S3_BUCKET,
    vaultKvPath: S3_VAULT_KV_PATH,
  };
  writeFileSync(seaweedfsLayout(config).connectionFile, `${JSON.stringify(conn, null, 2)}\n`);
  return conn;
}

export function readS3Connection(config: ClusterConfig): S3Connection {
  const file = seaweedfsLayout(config).connectionFile;
  if (!existsSync(file))
    throw new ClusterError(`cluster "${config.name}" has no S3 connection file ${file}; run cluster:up`);
  return JSON.parse(readFileSync(file, "utf8")) as S3Connection;
}
