/**
 * npm run bench:capture — what spec.capture costs a serving pod: the same penguins-shaped model (raw records in,
 * feedback on) served by two runtime processes, capture off and capture on (sampleRate 1, every version encrypted
 * with a data key from a local fake transit, the pii column hashed with a salt read from it, a version each second),
 * measured in alternation (off, on, off, on …) so other tenants' load falls on both alike. Closed-loop HTTP V1
 * :predict with one raw record per request. Prints req/s, p50/p99 and server CPU per request of each round, the
 * on/off throughput ratio (target ≥ 0.9×), and what capture wrote (rows, versions, dropped). BENCH_SECONDS per
 * round (default 3), BENCH_ROUNDS (default 3), BENCH_CONCURRENCY (default 8).
 */
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { penguinsPreprocessing } from "../test/support/penguins-preprocessing.js";
import { exitOnHelp } from "./lib/help.js";

exitOnHelp(import.meta.filename);
const { mlp, saveLayersModel, tempDir } = await import("../runtime/src/serve/test-helpers.js");
const { closedLoop, mergeRuns } = await import("./lib/client.js");
const { describeRun, startRun } = await import("./lib/machine.js");
const { repoRoot, startChild } = await import("./lib/servers.js");
const { startFakeTransit } = await import("./lib/fake-transit.js");
type Child = Awaited<ReturnType<typeof startChild>>;
type LoadResult = Awaited<ReturnType<typeof closedLoop>>;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

const run = startRun();
const root = await tempDir("liftoff-bench-capture-");
const modelDir = path.join(root, "claim", "models", "penguins");
await mkdir(modelDir, { recursive: true });
await saveLayersModel(mlp(4, 8, 3, 1), modelDir);
await writeFile(path.join(modelDir, "preprocessing.json"), JSON.stringify(penguinsPreprocessing(["email"])));
const tokenFile = path.join(root, "vault-token");
await writeFile(tokenFile, "bench-jwt");
const transit = await startFakeTransit({ "secret/data/bench/salt": { salt: "pepper" } });
const capture = {
  uri: "pvc://claim/captures/penguins",
  sampleRate: 1,
  flushSeconds: 1,
  labelWaitSeconds: 2,
  target: "species",
  targetType: "category",
  columns: [
    { name: "island", type: "category" },
    { name: "bill_length_mm", type: "number" },
    { name: "email", type: "string" },
  ],
  pii: [{ column: "email", action: "hash", saltVaultPath: "secret/data/bench/salt", saltVaultKey: "salt" }],
  encryption: { transitKey: "captures" },
  track: "stable",
};

function serve(withCapture: boolean): Promise<Child> {
  return startChild(
    process.execPath,
    [
      ...["--import", "tsx", "runtime/src/main.ts", "serve", "--model-uri", "pvc://claim/models/penguins/model.json"],
      ...["--pvc-root", root, "--model-name", "m", "--host", "127.0.0.1", "--port", "0", "--feedback", "true"],
    ],
    /"listening on 127\.0\.0\.1:(\d+)/,
    "/v2/models/m/ready",
    withCapture
      ? {
          LIFTOFF_CAPTURE: JSON.stringify(capture),
          LIFTOFF_VAULT_ADDR: transit.address,
          LIFTOFF_VAULT_ROLE: "bench",
          LIFTOFF_VAULT_TOKEN_FILE: tokenFile,
          HOSTNAME: "bench-capture",
        }
      : {},
  );
}

const body = JSON.stringify({
  instances: [{ island: "Dream", bill_length_mm: 46.5, email: "someone@example.com" }],
});
interface Point extends LoadResult {
  cpuPerRequest: number;
}
async function measure(child: Child): Promise<Point> {
  const cpu0 = child.cpuSeconds();
  const r = await closedLoop({
    port: child.port,
    path: "/v1/models/m:predict",
    body,
    concurrency: CONCURRENCY,
    durationMs: SECONDS * 1000,
  });
  return { ...r, cpuPerRequest: ((child.cpuSeconds() - cpu0) * 1e6) / Math.max(1, r.requests) };
}

const off = await serve(false);
const on = await serve(true);
const rounds: { off: Point; on: Point }[] = [];
let metrics = "";
try {
  for (let i = 0; i < ROUNDS; i++) {
    const a = await measure(off);
    const b = await measure(on);
    rounds.push({ off: a, on: b });
    log(`round ${i + 1}: off ${a.rps.toFixed(0)} req/s, on ${b.rps.toFixed(0)} req/s (${(b.rps / a.rps).toFixed(3)}×)`);
  }
  metrics = await (await fetch(`http://127.0.0.1:${on.port}/metrics`)).text();
} finally {
  await off.stop();
  await on.stop(); // SIGTERM: the capture writes what it still holds before exiting
  await transit.close();
}
/** A capture row count from /metrics, by outcome. */
const rows = (outcome: string) =>
  Number(new RegExp(`liftoff_capture_records_total\\{[^}]*outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
const countVersions = async () =>
  (await readdir(path.join(root, "claim", "captures", "penguins", "bench-capture")).catch(() => [])).filter((n) =>
    /^\d{8}T/.test(n),
  ).length;
const merged = (k: "off" | "on") => {
  const m = mergeRuns(rounds.map((r) => r[k]));
  const cpu = rounds.reduce((s, r) => s + r[k].cpuPerRequest * r[k].requests, 0) / Math.max(1, m.requests);
  return { ...m, cpuPerRequest: cpu };
};
const tOff = merged("off");
const tOn = merged("on");
const us = (n: number) => `${n.toFixed(0)} µs`;
const errors = rounds.reduce((s, r) => s + r.off.errors + r.on.errors, 0);
const lines = [
  "",
  describeRun(run, `concurrency ${CONCURRENCY}, ${SECONDS} s per round, ${ROUNDS} rounds, one raw record per request`),
  "",
  "| round | capture off | capture on | on/off |",
  "| ----- | ----------- | ---------- | ------ |",
  ...rounds.map(
    (r, i) =>
      `| ${i + 1} | ${r.off.rps.toFixed(0)} req/s | ${r.on.rps.toFixed(0)} req/s | ${(r.on.rps / r.off.rps).toFixed(3)}× |`,
  ),
  `| all | ${tOff.rps.toFixed(0)} req/s, p50 ${us(tOff.p50)}, p99 ${us(tOff.p99)}, ${us(tOff.cpuPerRequest)} CPU/req | ${tOn.rps.toFixed(0)} req/s, p50 ${us(tOn.p50)}, p99 ${us(tOn.p99)}, ${us(tOn.cpuPerRequest)} CPU/req | **${(tOn.rps / tOff.rps).toFixed(3)}×** |`,
  "",
  `capture on: ${rows("written")} rows written before the last round ended, ${rows("dropped_full")} dropped (buffer full), ${rows("dropped_error")} failed; ${await countVersions()} encrypted versions after shutdown (${transit.calls.get("transit/datakey/wrapped/captures") ?? 0} data keys). Non-200 replies: ${errors}.`,
];
process.stdout.write(`${lines.join("\n")}\n`);
const dir = path.join(repoRoot, "bench", "results");
await mkdir(dir, { recursive: true });
await writeFile(
  path.join(dir, `capture-${new Date().toISOString().replace(/[:.]/g, "-")}.json`),
  JSON.stringify(
    { seconds: SECONDS, rounds: rounds.map((r) => ({ off: r.off.rps, on: r.on.rps })), ratio: tOn.rps / tOff.rps },
    null,
    2,
  ),
);
