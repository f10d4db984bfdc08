// A real S3 server for unit tests and benches, outside any cluster: SeaweedFS's weed (hack/build-seaweedfs.sh) in a
// temporary folder, in its own process group, killed (group) and removed (folder) by stop(). The admin, liftoff and readonly
// key pairs are fresh for every start; the bucket `liftoff` exists.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { REPO_ROOT } from "../../devcluster/cluster/config.js";
import { portIsFree } from "../../devcluster/cluster/ports.js";
import { ensureBucket, s3ClientFor } from "../../devcluster/seaweedfs/bucket.js";
import {
  generateS3Keys,
  S3_BUCKET,
  type S3IdentityName,
  type S3Keys,
  s3IdentitiesConfig,
  WEED_PORT_COUNT,
  type WeedPorts,
  weedHealthUrl,
  weedPortsFrom,
  weedServerArgs,
  weedSocketFiles,
} from "../../devcluster/seaweedfs/server.js";

export interface StartedS3Server {
  /** http://127.0.0.1:<port> (path-style). */
  endpoint: string;
  region: string;
  keys: S3Keys;
  /** The bucket that exists from the start. */
  bucket: string;
  ports: WeedPorts;
  /** The server's data folder (removed by stop()). */
  dir: string;
  pid: number;
  /** A client signed as one of the identities (default liftoff). */
  client(identity?: S3IdentityName): S3Client;
  /** Kills the process group and removes the folder; safe to call twice. */
  stop(): Promise<void>;
}

/** The cached weed binary, or an error that says how to build it. */
function weedBinary(): string {
  const res = spawnSync("bash", [join(REPO_ROOT, "hack", "build-seaweedfs.sh"), "--check"], { encoding: "utf8" });
  const dir = res.stdout.trim().split("\n").pop();
  if (res.status !== 0 || !dir) {
    throw new Error(
      "SeaweedFS's weed is not built: run `bash hack/build-seaweedfs.sh` (about 5 minutes cold; `npx tsx hack/setup.ts test` does it too)",
    );
  }
  return join(dir, "weed");
}

async function freeBase(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 30_000 + Math.floor(Math.random() * 2_000) * WEED_PORT_COUNT;
    const ports = Object.values(weedPortsFrom(base));
    if ((await Promise.all(ports.map((p) => portIsFree(p)))).every(Boolean)) return base;
  }
  throw new Error(`found no ${WEED_PORT_COUNT} free consecutive ports for a weed server`);
}

async function waitHealthy(url: string, child: ChildProcess, log: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "not probed";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`weed exited (${child.exitCode ?? child.signalCode}) before it was healthy: ${tail(log)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`weed was not healthy at ${url} within ${timeoutMs / 1000}s (${last}): ${tail(log)}`);
}

function tail(log: string): string {
  try {
    return readFileSync(log, "utf8").split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Starts weed with the S3 API on `port` (and the nine ports after it, loopback only); without `port`, on a free
 * random range. Resolves once the bucket `liftoff` exists.
 */
export async function startS3Server(o: { port?: number; timeoutMs?: number } = {}): Promise<StartedS3Server> {
  const binary = weedBinary();
  const ports = weedPortsFrom(o.port ?? (await freeBase()));
  for (const [name, port] of Object.entries(ports)) {
    if (!(await portIsFree(port))) throw new Error(`port ${port} (weed ${name}) on 127.0.0.1 is already in use`);
  }
  const dir = mkdtempSync(join(tmpdir(), "liftoff-weed-"));
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const keys = generateS3Keys();
  const configFile = join(dir, "s3.json");
  writeFileSync(configFile, s3IdentitiesConfig(keys), { mode: 0o600 });
  const log = join(dir, "weed.log");
  const out = openSync(log, "a");
  // detached: its own process group, so stop() ends weed and anything it started, and nothing else.
  const child = spawn(binary, weedServerArgs({ dataDir, configFile, ports }), {
    detached: true,
    stdio: ["ignore", out, out],
  });
  closeSync(out);
  const exited = new Promise((r) => child.once("exit", r));
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${binary}`);
  const endpoint = `http://127.0.0.1:${ports.s3}`;
  const region = "us-east-1";
  const clients: S3Client[] = [];
  const client = (identity: S3IdentityName = "liftoff") => {
    const c = s3ClientFor(endpoint, keys[identity], region);
    clients.push(c);
    return c;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of clients) c.destroy();
    await killGroup(pid, exited);
    rmSync(dir, { recursive: true, force: true });
    for (const f of weedSocketFiles(ports, readdirSync("/tmp"))) rmSync(f, { force: true });
  };
  try {
    const timeoutMs = o.timeoutMs ?? 60_000;
    await waitHealthy(weedHealthUrl(ports), child, log, timeoutMs);
    await ensureBucket(client("admin"), S3_BUCKET, timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { endpoint, region, keys, bucket: S3_BUCKET, ports, dir, pid, client, stop };
}

/**
 * SIGKILL to the whole group, then waits until weed is reaped: the folder is thrown away anyway, and weed's own
 * SIGTERM shutdown takes 5-10 s.
 */
async function killGroup(pid: number, exited: Promise<unknown>): Promise<void> {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    return; // the group is gone already
  }
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
}
