/**
 * npm run bench:runtime — the runtime's serving numbers, all ratios from one run:
 *   1. in-process predict p50 vs HTTP p50 at concurrency 1 (overhead, µs)
 *   2. req/s and server CPU per request of a bare Fastify route vs the predict
 *      route (tiny model, unbatched and batched), the same JSON in and the same
 *      bytes out; the two servers are measured in alternation (A B A B) so that
 *      load from other tenants falls on both alike
 *   3. throughput and p99 at concurrency 32 without and with dynamic batching (small MLP), alternated too
 *   4. backends side by side (tensorflow, wasm, cpu) on the small MLP
 *   5. the tiny model over gRPC V2 beside a bare grpc-js server, and the MLP with batching over
 *      HTTP V1, HTTP V2, gRPC V2 and gRPC TF Serving
 * Servers run as child processes with default flags unless stated (so --backend
 * auto); the load generators are closed loops, on raw keep-alive sockets for
 * HTTP and on one node:http2 connection for gRPC, sharing the machine's cores. Server CPU per request
 * (utime + stime of the server process from /proc over the timed run) is
 * reported because it does not depend on the client. BENCH_SECONDS per point (default 3).
 * Part 2 also measures, in the same alternation, the bare route with the runtime's six security headers and Fastify's
 * logger on (bench/bare-server.ts BARE_HEADERS, BARE_LOGGER): what any Fastify server with those parts costs.
 * BENCH_ROUNDS alternations per point (default 2: A B A B, each half as long).
 * BENCH_ONLY=tiny measures only part 2's HTTP rows (tiny model vs the bare route, unbatched and batched; about a
 * minute at 3 s per point) and the in-process p50 they are compared with.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { BackendName } from "../runtime/src/backends.js";
import type { Tensor } from "../runtime/src/serve/model/loaded-model.js";
import type { LoadResult } from "./lib/client.js";
import type { GrpcLoad } from "./lib/grpc-client.js";
import { exitOnHelp } from "./lib/help.js";
import type { Child } from "./lib/servers.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const { fetchArtifact } = await import("../runtime/src/artifact.js");
const { initBackend } = await import("../runtime/src/backends.js");
const { loadModel } = await import("../runtime/src/serve/model/load.js");
const { mlp, saveLayersModel, tempDir, tinyDense } = await import("../runtime/src/serve/test-helpers.js");
const { closedLoop, mergeRuns, percentile } = await import("./lib/client.js");
const { grpcClosedLoop } = await import("./lib/grpc-client.js");
const { describeRun, startRun } = await import("./lib/machine.js");
const { repoRoot, startChild, startRuntime } = await import("./lib/servers.js");

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const BACKENDS: BackendName[] = ["tensorflow", "wasm", "cpu"];
const MLP_IN = 16;
const PREDICT = "/v1/models/m:predict";
const TINY_ONLY = process.env.BENCH_ONLY === "tiny";
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
let coldStartBackend: BackendName | undefined;

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const us = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} µs`;
const rps = (n: number) => `${n.toFixed(0)} req/s`;

interface Point extends LoadResult {
  /** Server CPU microseconds per request. */
  cpuPerRequest: number;
}

function rowsOf(n: number, width: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: width }, (_, j) => ((i * 7 + j * 3) % 11) / 10));
}

/** p50 of the runtime's model.run on one prepared input, in this process. */
/** `plainJsRows` as loadModel takes it: undefined measures, 0 is TF.js only. */
async function inProcess(
  backend: BackendName,
  modelJson: string,
  rows: number[][],
  plainJsRows?: number,
): Promise<number> {
  await initBackend(backend);
  const artifact = await fetchArtifact({ kind: "file", path: modelJson }, undefined);
  const model = await loadModel(artifact, plainJsRows === undefined ? {} : { plainJsRows });
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

async function load(
  server: Child,
  urlPath: string,
  body: string,
  concurrency: number,
  seconds = SECONDS,
): Promise<Point> {
  const opts = { port: server.port, path: urlPath, body, concurrency };
  await closedLoop({ ...opts, durationMs: 500, warmupMs: 0 });
  const cpu0 = server.cpuSeconds();
  const r = await closedLoop({ ...opts, durationMs: seconds * 1000, warmupMs: 0 });
  return { ...r, cpuPerRequest: ((server.cpuSeconds() - cpu0) * 1e6) / r.requests };
}

/** Runs each of several loads in turn, ROUNDS times (A B A B …), each 1/ROUNDS as long; one merged Point per load. */
async function alternate(loads: (() => Promise<Point>)[]): Promise<Point[]> {
  const runs: Point[][] = loads.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, run] of loads.entries()) runs[i]?.push(await run());
  }
  return runs.map((rs) => {
    const cpu = rs.reduce((n, r) => n + r.cpuPerRequest * r.requests, 0);
    const merged = mergeRuns(rs);
    return { ...merged, cpuPerRequest: cpu / merged.requests };
  });
}

async function post(port: number, urlPath: string, body: string): Promise<string> {
  const r = await fetch(`http://127.0.0.1:${port}${urlPath}`, { method: "POST", body });
  if (r.status !== 200) throw new Error(`${urlPath} answered ${r.status}: ${await r.text()}`);
  return r.text();
}

function grpcPortOf(s: Child): number {
  return Number(/gRPC listening on 127\.0\.0\.1:(\d+)/.exec(s.output())?.[1]);
}

async function loadGrpc(
  server: Child,
  port: number,
  call: Omit<GrpcLoad, "port" | "durationMs">,
  seconds = SECONDS,
): Promise<Point> {
  await grpcClosedLoop({ ...call, port, durationMs: 500 });
  const cpu0 = server.cpuSeconds();
  const r = await grpcClosedLoop({ ...call, port, durationMs: seconds * 1000 });
  return { ...r, cpuPerRequest: ((server.cpuSeconds() - cpu0) * 1e6) / r.requests };
}

interface Served {
  backend: BackendName;
  plain_js_max_rows: number;
}

async function servedOf(server: Child): Promise<Served> {
  const meta = (await (await fetch(`http://127.0.0.1:${server.port}/v2/models/m`)).json()) as { parameters: Served };
  return meta.parameters;
}

async function backendOf(server: Child): Promise<BackendName> {
  return (await servedOf(server)).backend;
}

async function main(): Promise<void> {
  const run = startRun();
  const tinyDir = await tempDir("liftoff-bench-");
  await saveLayersModel(tinyDense(), tinyDir);
  const mlpDir = await tempDir("liftoff-bench-");
  await saveLayersModel(mlp(MLP_IN, 64, 4), mlpDir);
  const tinyBody = JSON.stringify({ instances: rowsOf(1, 3) });
  const mlpBody = JSON.stringify({ instances: rowsOf(1, MLP_IN) });
  const batching = ["--max-batch-size", "32", "--max-latency-ms", "0"];
  const half = SECONDS / ROUNDS;

  log("tiny model (auto backend) and a bare Fastify route answering the same bytes, alternately");
  let s = await startRuntime(tinyDir, ["--grpc-port", "0"]);
  const tinyBackend = await backendOf(s);
  const tinyReply = await post(s.port, PREDICT, tinyBody);
  const bare = await startChild(process.execPath, ["--import", "tsx", "bench/bare-server.ts"], /port (\d+)/, "/ready", {
    BARE_REPLY: tinyReply,
  });
  const bareReply = await post(bare.port, "/predict", tinyBody);
  if (bareReply !== tinyReply) throw new Error(`bare reply ${bareReply} differs from the runtime's ${tinyReply}`);
  const floor = await startChild(
    process.execPath,
    ["--import", "tsx", "bench/bare-server.ts"],
    /port (\d+)/,
    "/ready",
    {
      BARE_REPLY: tinyReply,
      BARE_HEADERS: "1",
      BARE_LOGGER: "1",
    },
  );
  const floorReply = await post(floor.port, "/predict", tinyBody);
  if (floorReply !== tinyReply) throw new Error(`bare reply ${floorReply} differs from the runtime's ${tinyReply}`);
  const [bareC1, tinyC1] = (await alternate([
    () => load(bare, "/predict", tinyBody, 1, half),
    () => load(s, PREDICT, tinyBody, 1, half),
  ])) as [Point, Point];
  const [bareC16, floorC16, tinyC16] = (await alternate([
    () => load(bare, "/predict", tinyBody, 16, half),
    () => load(floor, "/predict", tinyBody, 16, half),
    () => load(s, PREDICT, tinyBody, 16, half),
  ])) as [Point, Point, Point];
  await Promise.all([bare.stop(), floor.stop()]);
  if (TINY_ONLY) {
    await s.stop();
    log("tiny model (auto backend, batching)");
    s = await startRuntime(tinyDir, batching);
    const tinyBatchC16 = await load(s, PREDICT, tinyBody, 16);
    await s.stop();
    log("in-process predict");
    const tinyInProc = await inProcess(tinyBackend, path.join(tinyDir, "model.json"), rowsOf(1, 3));
    const points = { tinyInProc, bareC1, tinyC1, bareC16, floorC16, tinyC16, tinyBatchC16 };
    const lines = [
      describeRun(
        run,
        `${SECONDS} s per point (alternated points: ${ROUNDS} slices each), load generator on the same cores`,
      ),
      ...tinyRows({ ...points, tinyBackend, tinyBody, tinyReply }),
      "",
      `Non-200 replies: ${[bareC1, tinyC1, bareC16, floorC16, tinyC16, tinyBatchC16].reduce((n, r) => n + r.errors, 0)}.`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    await writeResult("runtime-tiny", { seconds: SECONDS, tinyBackend, ...points });
    process.exit(0);
  }
  log("tiny model, gRPC V2 ModelInfer, concurrency 16, and a bare grpc-js server, alternately");
  const tinyRow = rowsOf(1, 3)[0] as number[];
  const tinyCall = {
    service: "Inference",
    method: "ModelInfer",
    request: {
      model_name: "m",
      inputs: [{ name: "dense_input", datatype: "FP32", shape: [1, 3] }],
      raw_input_contents: [Buffer.from(new Float32Array(tinyRow).buffer)],
    },
    concurrency: 16,
  } as const;
  const bareGrpc = await startChild(
    process.execPath,
    ["--import", "tsx", "bench/bare-grpc-server.ts"],
    /ready on port (\d+)/,
    "/",
  );
  const bareGrpcPort = Number(/bare grpc on port (\d+)/.exec(bareGrpc.output())?.[1]);
  const [bareGrpcC16, tinyGrpcC16] = (await alternate([
    () => loadGrpc(bareGrpc, bareGrpcPort, tinyCall, half),
    () => loadGrpc(s, grpcPortOf(s), tinyCall, half),
  ])) as [Point, Point];
  await Promise.all([s.stop(), bareGrpc.stop()]);
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
  let mlpJsRows = 0;
  {
    log("MLP, auto and auto+batching, concurrency 32, alternately");
    const plainServer = await startRuntime(mlpDir);
    const batchServer = await startRuntime(mlpDir, batching);
    const [p, b] = (await alternate([
      () => load(plainServer, PREDICT, mlpBody, 32, half),
      () => load(batchServer, PREDICT, mlpBody, 32, half),
    ])) as [Point, Point];
    mlpRuns.auto = { ...p, backend: await backendOf(plainServer) };
    mlpJsRows = (await servedOf(plainServer)).plain_js_max_rows;
    mlpRuns["auto+batching"] = { ...b, backend: await backendOf(batchServer) };
    await Promise.all([plainServer.stop(), batchServer.stop()]);
  }
  for (const [label, flags] of configs.slice(2)) {
    log(`MLP, ${label}, concurrency 32`);
    s = await startRuntime(mlpDir, flags);
    const backend = await backendOf(s);
    mlpRuns[label] = { ...(await load(s, PREDICT, mlpBody, 32)), backend };
    await s.stop();
  }

  log("MLP, auto+batching, concurrency 32: HTTP V1, HTTP V2, gRPC V2, gRPC TF Serving");
  s = await startRuntime(mlpDir, [...batching, "--grpc-port", "0"]);
  const grpcPort = grpcPortOf(s);
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
    inProc[b] = {
      b1: await inProcess(b, json, rowsOf(1, MLP_IN), 0),
      b32: await inProcess(b, json, rowsOf(32, MLP_IN), 0),
    };
  }
  const mlpJson = path.join(mlpDir, "model.json");
  const jsInProc = {
    b1: await inProcess("cpu", mlpJson, rowsOf(1, MLP_IN), 1024),
    b32: await inProcess("cpu", mlpJson, rowsOf(32, MLP_IN), 1024),
  };

  // The load points, named once: counted for errors and written to the result file as they are.
  const points = { bareC1, bareC16, floorC16, tinyC1, tinyC16, bareGrpcC16, tinyGrpcC16, tinyBatchC16 };
  const all = [...Object.values(points), ...Object.values(mlpRuns), ...Object.values(protocolRuns)];
  const httpV1 = protocolRuns["HTTP V1 (JSON)"] as Point;
  const errors = all.reduce((n, r) => n + r.errors, 0);
  const plain = mlpRuns.auto as Point & { backend: string };
  const batched = mlpRuns["auto+batching"] as Point & { backend: string };
  const gain = batched.rps / plain.rps;
  const lines = [
    describeRun(
      run,
      `${SECONDS} s per point (alternated points: ${ROUNDS} slices each), load generator on the same cores`,
    ),
    ...tinyRows({
      tinyInProc,
      bareC1,
      tinyC1,
      bareC16,
      floorC16,
      tinyC16,
      tinyBatchC16,
      tinyBackend,
      tinyBody,
      tinyReply,
    }),
    `| bare grpc-js ModelInfer, c=16, fixed reply of the same shape | ${rps(bareGrpcC16.rps)}, p99 ${us(bareGrpcC16.p99)} | ${us(bareGrpcC16.cpuPerRequest)} | |`,
    `| tiny model unbatched, c=16, gRPC V2 ModelInfer (raw) | ${rps(tinyGrpcC16.rps)} (${x(tinyGrpcC16.rps / bareGrpcC16.rps)} bare grpc-js, ${x(tinyGrpcC16.rps / tinyC16.rps)} HTTP V1), p99 ${us(tinyGrpcC16.p99)} | ${us(tinyGrpcC16.cpuPerRequest)} (${x(tinyGrpcC16.cpuPerRequest / bareGrpcC16.cpuPerRequest)} bare grpc-js) | |`,
    `| MLP c=32, no batching (${plain.backend}) | ${rps(plain.rps)}, p50 ${us(plain.p50)}, p99 ${us(plain.p99)} | ${us(plain.cpuPerRequest)} | |`,
    `| MLP c=32, batching 32 / 0 ms (${batched.backend}) | ${rps(batched.rps)}, p50 ${us(batched.p50)}, p99 ${us(batched.p99)} | ${us(batched.cpuPerRequest)} | |`,
    `| **batching gain at c=32** | **${x(gain)}**, p99 ${batched.p99 <= plain.p99 ? "no worse" : "worse"} | | ≥ 4×, p99 no worse ${ok(gain >= 4 && batched.p99 <= plain.p99)} |`,
    `| cold start, spawn → ready, 10 MB MLP, auto (chose ${coldStartBackend}) | ${coldStart.auto?.toFixed(2)} s (forced wasm ${coldStart.wasm?.toFixed(2)} s, tensorflow ${coldStart.tensorflow?.toFixed(2)} s) | | ≤ 2 s ${ok((coldStart.auto ?? 99) <= 2)} |`,
    "",
    "| backend (TF.js only), MLP 16→64→64→4 | in-process p50, 1 row | in-process p50, 32 rows | HTTP c=32 | HTTP c=32 with batching |",
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
    `In-process, plain-JS kernel (dense-kernel.ts), MLP: ${us(jsInProc.b1)} for 1 row, ${us(jsInProc.b32)} for 32 rows; the servers use it up to ${mlpJsRows} rows on ${plain.backend}.`,
    `auto chose: tiny → ${tinyBackend}; MLP → ${plain.backend}; MLP with batching → ${batched.backend}. Non-200 replies and gRPC errors: ${errors}.`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  await writeResult("runtime", {
    seconds: SECONDS,
    tinyInProc,
    tinyBackend,
    ...points,
    mlpRuns,
    inProc,
    jsInProc,
    protocolRuns,
  });
  process.exit(0);
}

const ok = (b: boolean) => (b ? "✅" : "❌");
const x = (n: number) => `${n.toFixed(2)}×`;

/** Part 2's rows: the tiny model against the bare Fastify route (the issue's targets). */
function tinyRows(r: {
  tinyInProc: number;
  bareC1: Point;
  tinyC1: Point;
  bareC16: Point;
  floorC16: Point;
  tinyC16: Point;
  tinyBatchC16: Point;
  tinyBackend: BackendName;
  tinyBody: string;
  tinyReply: string;
}): string[] {
  const { tinyInProc, bareC1, tinyC1, bareC16, floorC16, tinyC16, tinyBatchC16 } = r;
  const overhead = tinyC1.p50 - tinyInProc;
  const ratio = tinyC16.rps / bareC16.rps;
  const ratioBatch = tinyBatchC16.rps / bareC16.rps;
  const cpuRatio = tinyC16.cpuPerRequest / bareC16.cpuPerRequest;
  const cpuRatioBatch = tinyBatchC16.cpuPerRequest / bareC16.cpuPerRequest;
  return [
    `tiny model: Dense 3→2 (${r.tinyBackend} chosen by auto; plain-JS kernel for small calls, see /v2/models/m parameters); body ${Buffer.byteLength(r.tinyBody)} B in, reply ${Buffer.byteLength(r.tinyReply)} B out from both servers: ${r.tinyReply}`,
    "",
    "| measurement | result | server CPU / request | target |",
    "| --- | --- | --- | --- |",
    `| in-process predict p50, tiny model | ${us(tinyInProc)} | | |`,
    `| HTTP V1 predict p50 at c=1, tiny model | ${us(tinyC1.p50)} (p99 ${us(tinyC1.p99)}) | ${us(tinyC1.cpuPerRequest)} | |`,
    `| bare Fastify route p50 at c=1, same body and reply | ${us(bareC1.p50)} (p99 ${us(bareC1.p99)}) | ${us(bareC1.cpuPerRequest)} | |`,
    `| **HTTP overhead** = HTTP p50 − in-process p50 | **${us(overhead)}** | | ≤ 80 µs ${ok(overhead <= 80)} |`,
    `| runtime's own addition over bare Fastify at c=1 | ${us(overhead - bareC1.p50)} | | |`,
    `| bare Fastify route, c=16 | ${rps(bareC16.rps)}, p99 ${us(bareC16.p99)} | ${us(bareC16.cpuPerRequest)} | |`,
    `| **tiny model unbatched, c=16, vs bare Fastify** | ${rps(tinyC16.rps)}, p99 ${us(tinyC16.p99)}: **${x(ratio)}** | ${us(tinyC16.cpuPerRequest)} | ≥ 0.9× ${ok(ratio >= 0.9)} |`,
    `| **server CPU / request, tiny unbatched vs bare** | **${x(cpuRatio)}** | | ≤ 1.1× ${ok(cpuRatio <= 1.1)} |`,
    `| bare route + the runtime's security headers and logger, c=16 | ${rps(floorC16.rps)} (${x(floorC16.rps / bareC16.rps)} bare), p99 ${us(floorC16.p99)} | ${us(floorC16.cpuPerRequest)} (${x(floorC16.cpuPerRequest / bareC16.cpuPerRequest)} bare) | |`,
    `| tiny model unbatched vs that route, c=16 | ${x(tinyC16.rps / floorC16.rps)} its req/s | ${x(tinyC16.cpuPerRequest / floorC16.cpuPerRequest)} its CPU | |`,
    `| tiny model, c=16, batching (32, 0 ms) | ${rps(tinyBatchC16.rps)} (${x(ratioBatch)} bare), p99 ${us(tinyBatchC16.p99)} | ${us(tinyBatchC16.cpuPerRequest)} (${x(cpuRatioBatch)} bare) | |`,
  ];
}

/** bench/results/<name>-<time>.json, without the raw latencies. */
async function writeResult(name: string, result: object): Promise<void> {
  const dir = path.join(repoRoot, "bench", "results");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  await writeFile(
    file,
    JSON.stringify(result, (key, value) => (key === "latencies" ? undefined : value), 2),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
