/**
 * npm run bench:runtime — the runtime's serving numbers, all ratios from one run:
 *   1. in-process predict p50 vs HTTP p50 at concurrency 1 (overhead, µs)
 *   2. req/s of a bare Fastify route vs the predict route (tiny model)
 *   3. throughput and p99 at concurrency 32 without and with dynamic batching (small MLP)
 *   4. backends side by side (tensorflow, wasm, cpu) on the small MLP
 *   5. the same MLP with batching over HTTP V1, HTTP V2, gRPC V2 and gRPC TF Serving
 * Servers run as child processes with default flags unless stated (so --backend
 * auto); the load generator is a closed loop on raw keep-alive sockets sharing
 * the machine's cores. Server CPU per request (from /proc) is reported because
 * it does not depend on the client. BENCH_SECONDS per point (default 3).
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
import { type GrpcLoad, grpcClosedLoop } from "./lib/grpc-client.js";
import { type Child, repoRoot, startChild, startRuntime } from "./lib/servers.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const BACKENDS: BackendName[] = ["tensorflow", "wasm", "cpu"];
const MLP_IN = 16;
const PREDICT = "/v1/models/m:predict";
let coldStartBackend: BackendName | undefined;

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const us = (n: number) => `${n.toFixed(0)} µs`;
const rps = (n: number) => `${n.toFixed(0)} req/s`;

interface Point extends LoadResult {
  /** Server CPU microseconds per request. */
  cpuPerRequest: number;
}

function rowsOf(n: number, width: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => ((i * 7 + j * 3) % 11) / 10));
}

/** p50 of the runtime's model.run on one prepared input, in this process. */
async function inProcess(backend: BackendName, modelJson: string, rows: number[][]): Promise<number> {
  await initBackend(backend);
  const model = await loadModel(await fetchArtifact({ kind: "file", path: modelJson }, undefined));
  const input: Tensor[] = [{ data: new Float32Array(rows.flat()), shape: [rows.length, rows[0]?.length ?? 0] }];
  const warm = performance.now() + 300;
  while (performance.now() < warm) await model.run(input);
  const lat: number[] = [];
  const end = performance.now() + SECONDS * 500;
  while (performance.now() < end) {
    const t = performance.now();
    await model.run(input);
    lat.push((performance.now() - t) * 1000);
  }
  model.dispose();
  return percentile(
    lat.sort((a, b) => a - b),
    50,
  );
}

async function load(server: Child, urlPath: string, body: string, concurrency: number): Promise<Point> {
  const opts = { port: server.port, path: urlPath, body, concurrency };
  await closedLoop({ ...opts, durationMs: 500, warmupMs: 0 });
  const cpu0 = server.cpuSeconds();
  const r = await closedLoop({ ...opts, durationMs: SECONDS * 1000, warmupMs: 0 });
  return { ...r, cpuPerRequest: ((server.cpuSeconds() - cpu0) * 1e6) / r.requests };
}

async function loadGrpc(server: Child, port: number, call: Omit<GrpcLoad, "port" | "durationMs">): Promise<Point> {
  await grpcClosedLoop({ ...call, port, durationMs: 500 });
  const cpu0 = server.cpuSeconds();
  const r = await grpcClosedLoop({ ...call, port, durationMs: SECONDS * 1000 });
  return { ...r, cpuPerRequest: ((server.cpuSeconds() - cpu0) * 1e6) / r.requests };
}

async function backendOf(server: Child): Promise<BackendName> {
  const meta = (await (await fetch(`http://127.0.0.1:${server.port}/v2/models/m`)).json()) as {
    parameters: { backend: BackendName };
  };
  return meta.parameters.backend;
}

async function main(): Promise<void> {
  const tinyDir = await tempDir("liftoff-bench-");
  await saveLayersModel(tinyDense(), tinyDir);
  const mlpDir = await tempDir("liftoff-bench-");
  await saveLayersModel(mlp(MLP_IN, 64, 4), mlpDir);
  const tinyBody = JSON.stringify({ instances: rowsOf(1, 3) });
  const mlpBody = JSON.stringify({ instances: rowsOf(1, MLP_IN) });
  const batching = ["--max-batch-size", "32", "--max-latency-ms", "0"];

  log("bare Fastify");
  const bare = await startChild(process.execPath, ["--import", "tsx", "bench/bare-server.ts"], /port (\d+)/, "/ready");
  const bareC1 = await load(bare, "/predict", tinyBody, 1);
  const bareC16 = await load(bare, "/predict", tinyBody, 16);
  await bare.stop();

  log("tiny model (auto backend)");
  let s = await startRuntime(tinyDir);
  const tinyBackend = await backendOf(s);
  const tinyC1 = await load(s, PREDICT, tinyBody, 1);
  const tinyC16 = await load(s, PREDICT, tinyBody, 16);
  await s.stop();
  log("tiny model (auto backend, batching)");
  s = await startRuntime(tinyDir, batching);
  const tinyBatchC16 = await load(s, PREDICT, tinyBody, 16);
  await s.stop();

  const mlpRuns: Record<string, Point & { backend: BackendName }> = {};
  const configs: [string, string[]][] = [
    ["auto", []],
    ["auto+batching", batching],
    ...BACKENDS.map((b): [string, string[]] => [b, ["--backend", b]]),
    ...BACKENDS.map((b): [string, string[]] => [`${b}+batching`, ["--backend", b, ...batching]]),
  ];
  for (const [label, flags] of configs) {
    log(`MLP, ${label}, concurrency 32`);
    s = await startRuntime(mlpDir, flags);
    const backend = await backendOf(s);
    mlpRuns[label] = { ...(await load(s, PREDICT, mlpBody, 32)), backend };
    await s.stop();
  }

  log("MLP, auto+batching, concurrency 32: HTTP V1, HTTP V2, gRPC V2, gRPC TF Serving");
  s = await startRuntime(mlpDir, [...batching, "--grpc-port", "0"]);
  const grpcPort = Number(/gRPC listening on 127\.0\.0\.1:(\d+)/.exec(s.output())?.[1]);
  const row = rowsOf(1, MLP_IN)[0] as number[];
  const raw = Buffer.from(new Float32Array(row).buffer);
  const shape = [1, MLP_IN];
  const protocolRuns: Record<string, Point> = {
    "HTTP V1 (JSON)": await load(s, PREDICT, mlpBody, 32),
    "HTTP V2 (JSON)": await load(
      s,
      "/v2/models/m/infer",
      JSON.stringify({ inputs: [{ name: "hidden_input", shape, datatype: "FP32", data: row }] }),
      32,
    ),
    "gRPC V2 ModelInfer (raw)": await loadGrpc(s, grpcPort, {
      service: "Inference",
      method: "ModelInfer",
      request: {
        model_name: "m",
        inputs: [{ name: "hidden_input", datatype: "FP32", shape }],
        raw_input_contents: [raw],
      },
      concurrency: 32,
    }),
    "gRPC TF Serving Predict (tensor_content)": await loadGrpc(s, grpcPort, {
      service: "Prediction",
      method: "Predict",
      request: {
        model_spec: { name: "m" },
        inputs: {
          hidden_input: {
            dtype: "DT_FLOAT",
            tensor_shape: { dim: shape.map((size) => ({ size })) },
            tensor_content: raw,
          },
        },
      },
      concurrency: 32,
    }),
  };
  await s.stop();

  // Cold start: process spawn → model ready, a ~10 MB MLP (16→1024→1024→1024→4, 2.1 M float32 weights).
  const bigDir = await tempDir("liftoff-bench-");
  await saveLayersModel(mlp(MLP_IN, 1024, 4, 3), bigDir);
  const coldStart: Record<string, number> = {};
  for (const [label, flags] of [
    ["auto", []],
    ["wasm", ["--backend", "wasm"]],
    ["tensorflow", ["--backend", "tensorflow"]],
  ] as const) {
    log(`cold start, 10 MB model, ${label}`);
    const t0 = performance.now();
    s = await startRuntime(bigDir, [...flags]);
    coldStart[label] = (performance.now() - t0) / 1000;
    coldStartBackend = label === "auto" ? await backendOf(s) : coldStartBackend;
    await s.stop();
  }

  log("in-process predict");
  const tinyInProc = await inProcess(tinyBackend, path.join(tinyDir, "model.json"), rowsOf(1, 3));
  const inProc: Record<string, { b1: number; b32: number }> = {};
  for (const b of BACKENDS) {
    const json = path.join(mlpDir, "model.json");
    inProc[b] = { b1: await inProcess(b, json, rowsOf(1, MLP_IN)), b32: await inProcess(b, json, rowsOf(32, MLP_IN)) };
  }

  const all = [
    bareC1,
    bareC16,
    tinyC1,
    tinyC16,
    tinyBatchC16,
    ...Object.values(mlpRuns),
    ...Object.values(protocolRuns),
  ];
  const httpV1 = protocolRuns["HTTP V1 (JSON)"] as Point;
  const errors = all.reduce((n, r) => n + r.errors, 0);
  const overhead = tinyC1.p50 - tinyInProc;
  const ratio = tinyC16.rps / bareC16.rps;
  const ratioBatch = tinyBatchC16.rps / bareC16.rps;
  const plain = mlpRuns.auto as Point & { backend: string };
  const batched = mlpRuns["auto+batching"] as Point & { backend: string };
  const gain = batched.rps / plain.rps;
  const ok = (b: boolean) => (b ? "✅" : "❌");

  const lines = [
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${SECONDS} s per point, load generator on the same 2 cores`,
    "",
    "| measurement | result | server CPU / request | target |",
    "| --- | --- | --- | --- |",
    `| in-process predict p50, tiny model (${tinyBackend}, chosen by auto) | ${us(tinyInProc)} | | |`,
    `| HTTP V1 predict p50 at c=1, tiny model | ${us(tinyC1.p50)} (p99 ${us(tinyC1.p99)}) | ${us(tinyC1.cpuPerRequest)} | |`,
    `| bare Fastify route p50 at c=1, same body | ${us(bareC1.p50)} (p99 ${us(bareC1.p99)}) | ${us(bareC1.cpuPerRequest)} | |`,
    `| **HTTP overhead** = HTTP p50 − in-process p50 | **${us(overhead)}** | | ≤ 80 µs ${ok(overhead <= 80)} |`,
    `| of which the bare Fastify round trip (client, loopback, Fastify) | ${us(bareC1.p50)} | | |`,
    `| runtime's own addition over bare Fastify | ${us(overhead - bareC1.p50)} | | |`,
    `| bare Fastify route, c=16 | ${rps(bareC16.rps)} | ${us(bareC16.cpuPerRequest)} | |`,
    `| predict, tiny model, c=16 | ${rps(tinyC16.rps)} (${ratio.toFixed(2)}× bare) | ${us(tinyC16.cpuPerRequest)} | ≥ 0.7× ${ok(ratio >= 0.7)} |`,
    `| predict, tiny model, c=16, batching (32, 0 ms) | ${rps(tinyBatchC16.rps)} (${ratioBatch.toFixed(2)}× bare) | ${us(tinyBatchC16.cpuPerRequest)} | ≥ 0.7× ${ok(ratioBatch >= 0.7)} |`,
    `| MLP c=32, no batching (${plain.backend}) | ${rps(plain.rps)}, p50 ${us(plain.p50)}, p99 ${us(plain.p99)} | ${us(plain.cpuPerRequest)} | |`,
    `| MLP c=32, batching 32 / 0 ms (${batched.backend}) | ${rps(batched.rps)}, p50 ${us(batched.p50)}, p99 ${us(batched.p99)} | ${us(batched.cpuPerRequest)} | |`,
    `| **batching gain at c=32** | **${gain.toFixed(2)}×**, p99 ${batched.p99 <= plain.p99 ? "no worse" : "worse"} | | ≥ 3×, p99 no worse ${ok(gain >= 3 && batched.p99 <= plain.p99)} |`,
    `| cold start, spawn → ready, 10 MB MLP, auto (chose ${coldStartBackend}) | ${coldStart.auto?.toFixed(2)} s (forced wasm ${coldStart.wasm?.toFixed(2)} s, tensorflow ${coldStart.tensorflow?.toFixed(2)} s) | | ≤ 2 s ${ok((coldStart.auto ?? 99) <= 2)} |`,
    "",
    "| backend, MLP 16→64→64→4 | in-process p50, 1 row | in-process p50, 32 rows | HTTP c=32 | HTTP c=32 with batching |",
    "| --- | --- | --- | --- | --- |",
    ...BACKENDS.map((b) => {
      const r = mlpRuns[b] as Point;
      const rb = mlpRuns[`${b}+batching`] as Point;
      const ip = inProc[b] as { b1: number; b32: number };
      return `| ${b} | ${us(ip.b1)} | ${us(ip.b32)} | ${rps(r.rps)}, p99 ${us(r.p99)} | ${rps(rb.rps)}, p99 ${us(rb.p99)} |`;
    }),
    "",
    "| MLP c=32, batching 32 / 0 ms, auto backend | throughput | p50 | p99 | server CPU / request | vs HTTP V1 |",
    "| --- | --- | --- | --- | --- | --- |",
    ...Object.entries(protocolRuns).map(
      ([k, r]) =>
        `| ${k} | ${rps(r.rps)} | ${us(r.p50)} | ${us(r.p99)} | ${us(r.cpuPerRequest)} | ${(r.rps / httpV1.rps).toFixed(2)}× |`,
    ),
    "",
    `auto chose: tiny → ${tinyBackend}; MLP → ${plain.backend}; MLP with batching → ${batched.backend}. Non-200 replies: ${errors}.`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  const dir = path.join(repoRoot, "bench", "results");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `runtime-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  await writeFile(
    file,
    JSON.stringify(
      {
        seconds: SECONDS,
        tinyInProc,
        tinyBackend,
        bareC1,
        bareC16,
        tinyC1,
        tinyC16,
        tinyBatchC16,
        mlpRuns,
        inProc,
        protocolRuns,
      },
      null,
      2,
    ),
  );
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
