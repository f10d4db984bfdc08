/**
 * npm run bench:runtime — the runtime's serving numbers, all ratios from one run:
 *   1. in-process predict p50 vs HTTP p50 at concurrency 1 (overhead, µs)
 *   2. req/s of a bare Fastify route vs the predict route (tiny model)
 *   3. throughput and p99 at concurrency 32 without and with dynamic batching (small MLP)
 *   4. backends side by side (tensorflow, wasm, cpu) on the small MLP
 * Short by design (BENCH_SECONDS per point, default 3): the machine has 2 cores,
 * and the load generator shares them with the server.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fetchArtifact } from "../runtime/src/artifact.js";
import { type BackendName, initBackend } from "../runtime/src/backends.js";
import { loadModel, type Tensor } from "../runtime/src/model.js";
import { mlp, saveLayersModel, tempDir, tinyDense } from "../runtime/src/test-helpers.js";
import { closedLoop, type LoadResult, percentile } from "./lib/client.js";
import { repoRoot, startChild, startRuntime } from "./lib/servers.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const BACKENDS: BackendName[] = ["tensorflow", "wasm", "cpu"];
const MLP_IN = 16;

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const us = (n: number) => `${n.toFixed(0)} µs`;
const rps = (n: number) => `${n.toFixed(0)} req/s`;

function rowsOf(n: number, width: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => ((i * 7 + j * 3) % 11) / 10));
}

/** p50/p99 of model.run on one prepared input, in this process, on `backend`. */
async function inProcess(backend: BackendName, modelJson: string, rows: number[][]) {
  await initBackend(backend);
  const model = await loadModel(await fetchArtifact({ kind: "file", path: modelJson }, undefined));
  const input: Tensor[] = [{ data: new Float32Array(rows.flat()), shape: [rows.length, rows[0]?.length ?? 0] }];
  const deadline = performance.now() + 300;
  while (performance.now() < deadline) await model.run(input);
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 1000 * 0.5;
  while (performance.now() < end) {
    const t = performance.now();
    await model.run(input);
    lat.push((performance.now() - t) * 1000);
  }
  model.dispose();
  lat.sort((a, b) => a - b);
  return { p50: percentile(lat, 50), p99: percentile(lat, 99), n: lat.length };
}

const load = (port: number, urlPath: string, body: string, concurrency: number) =>
  closedLoop({ port, path: urlPath, body, concurrency, durationMs: SECONDS * 1000, warmupMs: 500 });

async function main(): Promise<void> {
  const tinyDir = await tempDir("liftoff-bench-");
  await saveLayersModel(tinyDense(), tinyDir);
  const mlpDir = await tempDir("liftoff-bench-");
  await saveLayersModel(mlp(MLP_IN, 64, 4), mlpDir);
  const tinyBody = JSON.stringify({ instances: rowsOf(1, 3) });
  const mlpBody = JSON.stringify({ instances: rowsOf(1, MLP_IN) });
  const predict = "/v1/models/m:predict";

  log("in-process predict");
  const tinyInProc = await inProcess("tensorflow", path.join(tinyDir, "model.json"), rowsOf(1, 3));
  const backendInProc: Record<string, { b1: number; b32: number }> = {};
  for (const b of BACKENDS) {
    const b1 = await inProcess(b, path.join(mlpDir, "model.json"), rowsOf(1, MLP_IN));
    const b32 = await inProcess(b, path.join(mlpDir, "model.json"), rowsOf(32, MLP_IN));
    backendInProc[b] = { b1: b1.p50, b32: b32.p50 };
  }

  log("bare Fastify");
  const bare = await startChild(process.execPath, ["--import", "tsx", "bench/bare-server.ts"], /port (\d+)/, "/ready");
  const bareC1 = await load(bare.port, "/predict", tinyBody, 1);
  const bareC16 = await load(bare.port, "/predict", tinyBody, 16);
  await bare.stop();

  log("tiny model, tensorflow backend");
  const tiny = await startRuntime(tinyDir, ["--backend", "tensorflow"]);
  const tinyC1 = await load(tiny.port, predict, tinyBody, 1);
  const tinyC16 = await load(tiny.port, predict, tinyBody, 16);
  await tiny.stop();

  const mlpRuns: Record<string, LoadResult> = {};
  for (const [label, flags] of [
    ["tensorflow", ["--backend", "tensorflow"]],
    ["tensorflow+batching", ["--backend", "tensorflow", "--max-batch-size", "32", "--max-latency-ms", "2"]],
    ["wasm", ["--backend", "wasm"]],
    ["wasm+batching", ["--backend", "wasm", "--max-batch-size", "32", "--max-latency-ms", "2"]],
    ["cpu", ["--backend", "cpu"]],
  ] as const) {
    log(`MLP, ${label}, concurrency 32`);
    const s = await startRuntime(mlpDir, [...flags]);
    mlpRuns[label] = await load(s.port, predict, mlpBody, 32);
    await s.stop();
  }

  const errors = [bareC1, bareC16, tinyC1, tinyC16, ...Object.values(mlpRuns)].reduce((n, r) => n + r.errors, 0);
  const overhead = tinyC1.p50 - tinyInProc.p50;
  const fastifyRatio = tinyC16.rps / bareC16.rps;
  const tf = mlpRuns.tensorflow as LoadResult;
  const tfb = mlpRuns["tensorflow+batching"] as LoadResult;
  const batchRatio = tfb.rps / tf.rps;

  const lines = [
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${SECONDS} s per point; load generator on the same cores`,
    "",
    "| measurement | result | target |",
    "| --- | --- | --- |",
    `| in-process predict p50, tiny model (tensorflow) | ${us(tinyInProc.p50)} | |`,
    `| HTTP V1 predict p50 at c=1, tiny model | ${us(tinyC1.p50)} (p99 ${us(tinyC1.p99)}) | |`,
    `| **HTTP overhead** (HTTP p50 − in-process p50) | **${us(overhead)}** | ≤ 80 µs ${overhead <= 80 ? "✅" : "❌"} |`,
    `| bare Fastify route p50 at c=1 (same body) | ${us(bareC1.p50)} | |`,
    `| bare Fastify route, c=16 | ${rps(bareC16.rps)} | |`,
    `| predict route, tiny model, c=16 | ${rps(tinyC16.rps)} | |`,
    `| **predict ÷ bare Fastify** | **${fastifyRatio.toFixed(2)}×** | ≥ 0.7× ${fastifyRatio >= 0.7 ? "✅" : "❌"} |`,
    `| MLP c=32, no batching (tensorflow) | ${rps(tf.rps)}, p50 ${us(tf.p50)}, p99 ${us(tf.p99)} | |`,
    `| MLP c=32, batching 32 / 2 ms (tensorflow) | ${rps(tfb.rps)}, p50 ${us(tfb.p50)}, p99 ${us(tfb.p99)} | |`,
    `| **batching throughput gain** | **${batchRatio.toFixed(2)}×**, p99 ${tfb.p99 <= tf.p99 ? "no worse" : "worse"} | ≥ 3×, p99 no worse ${batchRatio >= 3 && tfb.p99 <= tf.p99 ? "✅" : "❌"} |`,
    "",
    "| backend (MLP 16→64→64→4) | in-process p50, 1 row | in-process p50, 32 rows | HTTP c=32 req/s | HTTP c=32 p99 |",
    "| --- | --- | --- | --- | --- |",
    ...BACKENDS.map((b) => {
      const r = mlpRuns[b] as LoadResult;
      const ip = backendInProc[b] as { b1: number; b32: number };
      return `| ${b} | ${us(ip.b1)} | ${us(ip.b32)} | ${rps(r.rps)} | ${us(r.p99)} |`;
    }),
    `| wasm + batching | | | ${rps((mlpRuns["wasm+batching"] as LoadResult).rps)} | ${us((mlpRuns["wasm+batching"] as LoadResult).p99)} |`,
    "",
    `non-200 replies during the run: ${errors}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  const dir = path.join(repoRoot, "bench", "results");
  await mkdir(dir, { recursive: true });
  await writeFile(
    path.join(dir, `runtime-${new Date().toISOString().replace(/[:.]/g, "-")}.json`),
    JSON.stringify({ seconds: SECONDS, tinyInProc, bareC1, bareC16, tinyC1, tinyC16, mlpRuns, backendInProc }, null, 2),
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
