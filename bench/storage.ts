/**
 * npm run bench:storage — object storage throughput and memory (issue #27): one seeded-random object (1 GiB by
 * default) written to and read from a real S3 server (SeaweedFS's weed mini, started here by
 * test/support/s3-server.ts in a temp folder, stopped at the end) through Liftoff's storage layer
 * (runtime/src/storage: s3ObjectStore(...).upload / .download, the code pods run) and through the AWS CLI
 * (`aws s3 cp`, PyPI awscli v1, hack/awscli-venv.sh) on the same server in the same run.
 *
 * Each transfer runs in a process of its own, started with the standard AWS environment (endpoint, region, keys):
 * Liftoff's in `node bench/storage-transfer.mjs` on the compiled runtime (runtime/dist, built by the bench with
 * `npm run build:runtime`: the code pods run; not under tsx, whose compiler added ~27 MiB of RSS a pod does not
 * have: 87 → 60 MiB before the first byte), which reports its transfer time and its peak RSS
 * (process.resourceUsage().maxRSS, the whole process: Node, the SDK and the buffers); the AWS CLI's under
 * /usr/bin/time (wall time and peak RSS). Throughput is bytes / wall time of the whole command for both (start-up
 * included, so the two are measured alike); Liftoff's transfer alone is shown beside it. Both use their defaults:
 * Liftoff uploads 8 MiB parts, 4 in flight, streamed from the file, with sha256 metadata + per-part SHA256 checksum,
 * and downloads 16 MiB ranged parts, 8 in flight, digest verified from the disk; the AWS CLI 8 MiB parts, 10 in
 * flight both ways. Liftoff's upload is given the file's sha256, as uploadFolder gives it from the
 * version's manifest (without it, upload reads the file once more to hash it before the first byte goes out). Downloads read the object Liftoff wrote; every downloaded file is checked
 * against the source's sha256. Runs alternate Liftoff / AWS CLI.
 *
 * Targets (ratios, not thresholds: the bench prints them and exits 0 unless a transfer fails): Liftoff / aws s3 cp
 * throughput ≥ 0.9× both ways; Liftoff's peak RSS ≤ 128 MiB whatever the object size.
 *
 * Knobs: --size BYTES|<n>MiB|<n>GiB (default 1GiB), --runs N per tool and direction (default 1).
 * Needs hack/build-seaweedfs.sh (npx tsx hack/setup.ts test) and hack/awscli-venv.sh (npx tsx hack/setup.ts bench);
 * the bench builds the AWS CLI venv on first use.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { closeSync, createReadStream, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { exitOnHelp } from "./lib/help.js";

exitOnHelp(import.meta.filename);
// The SDK's notice that its future releases need Node 22 is noise in a bench table (the runtime silences it too).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const { DeleteObjectsCommand } = await import("@aws-sdk/client-s3");
const { startS3Server } = await import("../test/support/s3-server.js");
const { describeRun, startRun } = await import("./lib/machine.js");

const { values } = parseArgs({
  options: { size: { type: "string", default: "1GiB" }, runs: { type: "string", default: "1" } },
});
const MiB = 2 ** 20;

function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(GiB|MiB|KiB|B)?$/i.exec(text.trim());
  if (!m) throw new Error(`bench:storage: --size must be BYTES or <n>KiB/MiB/GiB, got "${text}"`);
  const unit = (m[2] ?? "B").toLowerCase();
  const factor = unit === "gib" ? 2 ** 30 : unit === "mib" ? MiB : unit === "kib" ? 1024 : 1;
  return Math.round(Number(m[1]) * factor);
}
const SIZE = parseSize(values.size ?? "1GiB");
const RUNS = Number(values.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error("bench:storage: --runs must be a whole number ≥ 1");
if (SIZE < 1) throw new Error("bench:storage: --size must be at least 1 byte");
const REPO = path.resolve(import.meta.dirname, "..");
const log = (s: string) => process.stderr.write(`bench:storage: ${s}\n`);

/** The same bytes on every run: AES-128-CTR's keystream under a fixed key, written in 4 MiB chunks. */
function writeSeeded(file: string, size: number): string {
  const cipher = createCipheriv("aes-128-ctr", Buffer.alloc(16, 27), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(4 * MiB);
  const hash = createHash("sha256");
  const fd = openSync(file, "w");
  try {
    for (let left = size; left > 0; left -= zeros.length) {
      const chunk = cipher.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
      hash.update(chunk);
      writeSync(fd, chunk);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

interface Sample {
  /** Whole command, start to exit. */
  wallSeconds: number;
  /** Liftoff only: the transfer alone, inside the process. */
  transferSeconds?: number;
  maxRssBytes: number;
  baseRssBytes?: number;
}

function awsCli(): string {
  const res = spawnSync("bash", [path.join(REPO, "hack", "awscli-venv.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const aws = res.stdout.trim().split("\n").pop();
  if (res.status !== 0 || !aws) throw new Error("bench:storage: hack/awscli-venv.sh failed (see above)");
  return aws;
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv): { stdout: string; sample: Sample } {
  const started = process.hrtime.bigint();
  // GNU time's %M: the peak RSS in KiB of the command; written to a file so the command's own stderr stays readable.
  const dir = mkdtempSync(path.join(os.tmpdir(), "liftoff-bench-time-"));
  const out = path.join(dir, "time");
  const res = spawnSync("/usr/bin/time", ["-f", "%M", "-o", out, command, ...args], { env, encoding: "utf8" });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rssKiB = Number(readFileSync(out, "utf8").trim().split("\n").pop());
  rmSync(dir, { recursive: true, force: true });
  if (res.status !== 0)
    throw new Error(`bench:storage: ${path.basename(command)} ${args.join(" ")} failed (${res.status}): ${res.stderr}`);
  return { stdout: res.stdout, sample: { wallSeconds, maxRssBytes: rssKiB * 1024 } };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
const mibps = (seconds: number) => SIZE / MiB / seconds;
const fmtMiB = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

const run = startRun();
log("building the runtime (npm run build:runtime) …");
execFileSync("npm", ["run", "--silent", "build:runtime"], { cwd: REPO, stdio: "inherit" });
const aws = awsCli();
const awsVersion = spawnSync(aws, ["--version"], { encoding: "utf8" }).stdout.trim();
const work = mkdtempSync(path.join(os.tmpdir(), "liftoff-bench-storage-"));
const s3 = await startS3Server();
try {
  const source = path.join(work, "object.bin");
  log(`writing a ${fmtMiB(SIZE)} seeded-random object …`);
  const sourceSha = writeSeeded(source, SIZE);
  // The standard AWS environment, nothing else from the user's own configuration.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: work,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_REGION: s3.region,
    AWS_DEFAULT_REGION: s3.region,
    AWS_ACCESS_KEY_ID: s3.keys.liftoff.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.keys.liftoff.secretAccessKey,
    AWS_CONFIG_FILE: path.join(work, "none"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(work, "none"),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
  const transfer = path.join(REPO, "bench", "storage-transfer.mjs");
  const liftoff = (args: string[]): Sample => {
    const { stdout, sample } = timed(process.execPath, [transfer, ...args], env);
    const r = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as {
      seconds: number;
      sha256: string;
      baseRssBytes: number;
    };
    if (r.sha256 !== sourceSha) throw new Error(`bench:storage: Liftoff moved sha256 ${r.sha256}, not ${sourceSha}`);
    return { ...sample, transferSeconds: r.seconds, baseRssBytes: r.baseRssBytes };
  };
  const awsCp = async (from: string, to: string, check?: string): Promise<Sample> => {
    const { sample } = timed(aws, ["s3", "cp", "--only-show-errors", "--endpoint-url", s3.endpoint, from, to], env);
    if (check && (await sha256Of(check)) !== sourceSha)
      throw new Error(`bench:storage: aws s3 cp wrote a different ${check}`);
    return sample;
  };

  const admin = s3.client("admin");
  const samples = { lUp: [] as Sample[], aUp: [] as Sample[], lDown: [] as Sample[], aDown: [] as Sample[] };
  for (let i = 0; i < RUNS; i++) {
    log(`run ${i + 1}/${RUNS}: upload (Liftoff, aws s3 cp) …`);
    samples.lUp.push(liftoff(["upload", source, s3.bucket, `bench/liftoff-${i}`, sourceSha]));
    samples.aUp.push(await awsCp(source, `s3://${s3.bucket}/bench/aws-${i}`));
    log(`run ${i + 1}/${RUNS}: download (Liftoff, aws s3 cp) …`);
    const lDest = path.join(work, `liftoff-${i}.bin`);
    samples.lDown.push(liftoff(["download", s3.bucket, `bench/liftoff-${i}`, lDest]));
    rmSync(lDest, { force: true });
    const aDest = path.join(work, `aws-${i}.bin`);
    samples.aDown.push(await awsCp(`s3://${s3.bucket}/bench/liftoff-${i}`, aDest, aDest));
    rmSync(aDest, { force: true });
    await admin.send(
      new DeleteObjectsCommand({
        Bucket: s3.bucket,
        Delete: { Objects: [{ Key: `bench/liftoff-${i}` }, { Key: `bench/aws-${i}` }] },
      }),
    );
  }

  const row = (direction: string, l: Sample[], a: Sample[]) => {
    const lWall = median(l.map((s) => s.wallSeconds));
    const lTransfer = median(l.map((s) => s.transferSeconds ?? NaN));
    const aWall = median(a.map((s) => s.wallSeconds));
    const lRss = Math.max(...l.map((s) => s.maxRssBytes));
    const lBase = Math.max(...l.map((s) => s.baseRssBytes ?? 0));
    const aRss = Math.max(...a.map((s) => s.maxRssBytes));
    return `| ${direction} | ${mibps(lWall).toFixed(0)} MiB/s (${lWall.toFixed(1)} s; transfer alone ${mibps(lTransfer).toFixed(0)} MiB/s) | ${mibps(aWall).toFixed(0)} MiB/s (${aWall.toFixed(1)} s) | ${(aWall / lWall).toFixed(2)}× | ${fmtMiB(lRss)} (${fmtMiB(lBase)} before the first byte) | ${fmtMiB(aRss)} |`;
  };
  const lines = [
    describeRun(run, `object ${fmtMiB(SIZE)}, ${RUNS} run(s) per tool and direction (median)`),
    `- server: SeaweedFS weed mini (hack/build-seaweedfs.sh) on loopback, one process; AWS CLI: ${awsVersion}`,
    "",
    "| direction | Liftoff storage layer | aws s3 cp | Liftoff / aws (target ≥ 0.9×) | Liftoff peak RSS (target ≤ 128 MiB) | aws s3 cp peak RSS |",
    "| --- | --- | --- | --- | --- | --- |",
    row("write (upload)", samples.lUp, samples.aUp),
    row("read (download)", samples.lDown, samples.aDown),
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  await s3.stop();
  rmSync(work, { recursive: true, force: true });
}
