// SeaweedFS (`weed mini`: master, volume, filer and S3 gateway in one process) as the local S3 server (pure):
// its identities file, its flags and its ports. The cluster component and the tests' standalone server
// (test/support/s3-server.ts) both start it from here, so both behave the same.
import { randomBytes } from "node:crypto";

/** The three identities every weed S3 server here has. */
export type S3IdentityName = "admin" | "liftoff" | "readonly";

export interface S3KeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

export type S3Keys = Record<S3IdentityName, S3KeyPair>;

/**
 * What each identity may do, on every bucket: admin everything (creates and deletes buckets), liftoff what a
 * Liftoff pod needs (objects, not buckets), readonly reads only (the "denied policy" cases).
 */
const S3_IDENTITY_ACTIONS: Record<S3IdentityName, string[]> = {
  admin: ["Admin", "Read", "Write", "List", "Tagging"],
  liftoff: ["Read", "Write", "List", "Tagging"],
  readonly: ["Read", "List"],
};

/** The bucket cluster:up creates. */
export const S3_BUCKET = "liftoff";

/** Where cluster:up stores the liftoff identity's keys in OpenBao (KV v2 data path; entries per S3_KV_KEYS). */
export const S3_VAULT_KV_PATH = "secret/data/liftoff/s3";

/**
 * Volumes of 64 MiB instead of 30 GiB: a volume's index lives in memory and the master plans by volume size, so
 * small volumes keep a dev server small; a big object just spans more volumes.
 */
const VOLUME_SIZE_LIMIT_MB = 64;

function keyPair(): S3KeyPair {
  // AWS-like shapes: a 20-character upper-case id and a 40-character secret.
  return {
    accessKeyId: `LO${randomBytes(12).toString("hex").toUpperCase().slice(0, 18)}`,
    secretAccessKey: randomBytes(30).toString("base64url"),
  };
}

export function generateS3Keys(): S3Keys {
  return { admin: keyPair(), liftoff: keyPair(), readonly: keyPair() };
}

/** The `-s3.config` file: one identity per key pair, with its actions. */
export function s3IdentitiesConfig(keys: S3Keys): string {
  const identities = (Object.keys(S3_IDENTITY_ACTIONS) as S3IdentityName[]).map((name) => ({
    name,
    credentials: [{ accessKey: keys[name].accessKeyId, secretKey: keys[name].secretAccessKey }],
    actions: S3_IDENTITY_ACTIONS[name],
  }));
  return `${JSON.stringify({ identities }, null, 2)}\n`;
}

/** The ten ports one weed server listens on (every one pinned: weed's defaults are fixed ports or port+10000). */
export interface WeedPorts {
  s3: number;
  s3Grpc: number;
  master: number;
  masterGrpc: number;
  volume: number;
  volumeGrpc: number;
  filer: number;
  filerGrpc: number;
  /** `weed mini` always runs its admin server (UI off): pinned so two servers never collide. */
  admin: number;
  adminGrpc: number;
}

export const WEED_PORT_COUNT = 10;

/** Ten consecutive ports from `base`, the S3 API first. */
export function weedPortsFrom(base: number): WeedPorts {
  return {
    s3: base,
    s3Grpc: base + 1,
    master: base + 2,
    masterGrpc: base + 3,
    volume: base + 4,
    volumeGrpc: base + 5,
    filer: base + 6,
    filerGrpc: base + 7,
    admin: base + 8,
    adminGrpc: base + 9,
  };
}

export interface WeedServerOptions {
  dataDir: string;
  configFile: string;
  ports: WeedPorts;
}

/**
 * `weed mini` flags: master, one volume server, filer and S3 gateway in one process, all on loopback (pods reach the
 * S3 port through the node agent's forward, as they reach OpenBao); no Iceberg, Lance, WebDAV or admin UI.
 * `mini` rather than `server`: it is SeaweedFS's single-node mode, and a fresh `weed server` holds the first volume
 * allocation (the first write) for about 8 s while it waits for other volume servers that a dev server never has.
 */
export function weedServerArgs(o: WeedServerOptions): string[] {
  const p = o.ports;
  return [
    "mini",
    `-dir=${o.dataDir}`,
    "-ip=127.0.0.1",
    "-ip.bind=127.0.0.1",
    `-master.port=${p.master}`,
    `-master.port.grpc=${p.masterGrpc}`,
    `-master.volumeSizeLimitMB=${VOLUME_SIZE_LIMIT_MB}`,
    `-volume.port=${p.volume}`,
    `-volume.port.grpc=${p.volumeGrpc}`,
    // 0: as many volumes as the disk holds (a 1 GiB object needs 16 of 64 MiB).
    "-volume.max=0",
    `-filer.port=${p.filer}`,
    `-filer.port.grpc=${p.filerGrpc}`,
    `-s3.port=${p.s3}`,
    `-s3.port.grpc=${p.s3Grpc}`,
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    `-s3.config=${o.configFile}`,
    "-webdav=false",
    "-admin.ui=false",
    `-admin.port=${p.admin}`,
    `-admin.port.grpc=${p.adminGrpc}`,
    "-admin.port.legacy=0",
  ];
}

/** The S3 API's health URL (answers 200 once the gateway listens; the bucket creation after it waits for the filer). */
export function weedHealthUrl(ports: Pick<WeedPorts, "s3">): string {
  return `http://127.0.0.1:${ports.s3}/healthz`;
}

/**
 * weed's Unix sockets (/tmp/seaweedfs-<part>-<port>.sock, beside each TCP port) of these ports: weed leaves them
 * behind when it stops, so whoever stops it removes them.
 */
export function weedSocketFiles(ports: WeedPorts, names: string[]): string[] {
  const ours = new Set(Object.values(ports).map(String));
  return names.filter((n) => ours.has(/^seaweedfs-[a-z0-9-]+-(\d+)\.sock$/.exec(n)?.[1] ?? "")).map((n) => `/tmp/${n}`);
}
