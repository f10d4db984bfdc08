/**
 * npm run bench:peer — the same MLP (same weights) served by Liftoff's runtime
 * and by KServe's Python model server (kserve + tensorflow-cpu in a venv under
 * ~/.cache/liftoff, a custom kserve.Model in bench/kserve_model.py), under the
 * same closed-loop load, one after the other, in one run: V1 REST predict with
 * the raw-socket HTTP client, and V2 gRPC ModelInfer with the grpc-js client.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import type { LoadResult } from "./lib/client.js";
import { exitOnHelp } from "./lib/help.js";
import type { Child } from "./lib/servers.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const { mlp, saveLayersModel, tempDir } = await import("../runtime/src/serve/test-helpers.js");
const { closedLoop } = await import("./lib/client.js");
const { grpcClosedLoop } = await import("./lib/grpc-client.js");
const { describeRun, startRun } = await import("./lib/machine.js");
const { repoRoot, startChild, startRuntime } = await import("./lib/servers.js");

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const KSERVE = "kserve==0.21.0";
const TF = "tensorflow-cpu==2.21.0";
const venv = path.join(process.env.LIFTOFF_CACHE ?? path.join(os.homedir(), ".cache", "liftoff"), "kserve-venv");
const py = path.join(venv, "bin", "python");
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);

function ensureVenv(): void {
  const ok = () => {
    try {
      execFileSync(py, ["-c", "import kserve, tensorflow"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  if (existsSync(py) && ok()) return;
  log(`installing ${KSERVE} and ${TF} into ${venv} (once; a few minutes) ...`);
  execFileSync("python3", ["-m", "venv", venv], { stdio: "inherit" });
  execFileSync(py, ["-m", "pip", "install", "--quiet", KSERVE, TF], { stdio: "inherit" });
  if (!ok()) throw new Error(`kserve or tensorflow does not import in ${venv}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const WIDTH = 16;
const ROW = Array.from({ length: WIDTH }, (_, i) => i / WIDTH);
const HTTP_CONCURRENCY = [1, 8, 32];
const GRPC_CONCURRENCY = [8, 32];

interface Measured {
  http: Record<string, LoadResult>;
  grpc: Record<string, LoadResult>;
}

async function measure(server: Child, grpcPort: number): Promise<Measured> {
  const body = JSON.stringify({ instances: [ROW] });
  const out: Measured = { http: {}, grpc: {} };
  for (const c of HTTP_CONCURRENCY) {
    out.http[`c${c}`] = await closedLoop({
      port: server.port,
      path: "/v1/models/m:predict",
      body,
      concurrency: c,
      durationMs: SECONDS * 1000,
      warmupMs: 500,
    });
  }
  const request = {
    model_name: "m",
    inputs: [{ name: "hidden_input", datatype: "FP32", shape: [1, WIDTH] }],
    raw_input_contents: [Buffer.from(new Float32Array(ROW).buffer)],
  };
  for (const c of GRPC_CONCURRENCY) {
    const call = { port: grpcPort, service: "Inference", method: "ModelInfer", request, concurrency: c } as const;
    await grpcClosedLoop({ ...call, durationMs: 500 });
    out.grpc[`c${c}`] = await grpcClosedLoop({ ...call, durationMs: SECONDS * 1000 });
  }
  await server.stop();
  return out;
}

function grpcPortOf(s: Child): number {
  return Number(/gRPC listening on 127\.0\.0\.1:(\d+)/.exec(s.output())?.[1]);
}

async function main(): Promise<void> {
  const run = startRun();
  ensureVenv();
  const dir = await tempDir("liftoff-peer-");
  await saveLayersModel(mlp(WIDTH, 64, 4), dir);

  const runs: Record<string, Measured> = {};
  log("KServe (Python, tensorflow-cpu), REST and gRPC");
  const [port, grpcPort] = [await freePort(), await freePort()];
  const kserve = await startChild(
    py,
    [
      path.join(repoRoot, "bench", "kserve_model.py"),
      "--model-dir",
      dir,
      "--http-port",
      String(port),
      "--grpc-port",
      String(grpcPort),
      "--configure_logging",
      "false",
    ],
    /kserve on port (\d+)/,
    "/v1/models/m",
  );
  runs.KServe = await measure(kserve, grpcPort);
  log("Liftoff runtime (--backend auto)");
  const plain = await startRuntime(dir, ["--grpc-port", "0"]);
  runs.Liftoff = await measure(plain, grpcPortOf(plain));
  log("Liftoff runtime (--backend auto, batching 32 / 0 ms)");
  const batched = await startRuntime(dir, ["--max-batch-size", "32", "--max-latency-ms", "0", "--grpc-port", "0"]);
  runs["Liftoff + batching"] = await measure(batched, grpcPortOf(batched));

  const k = runs.KServe as Measured;
  const cell = (r: LoadResult | undefined) =>
    r ? `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(0)} µs, p99 ${r.p99.toFixed(0)} µs` : "";
  const versus = (name: string, r: LoadResult | undefined, peer: LoadResult | undefined) => {
    if (name === "KServe" || r === undefined || peer === undefined) return "1.00× | 1.00×";
    const t = r.rps / peer.rps;
    const p = r.p99 / peer.p99;
    return `${t.toFixed(2)}× ${t >= 2 ? "✅" : "❌"} (≥ 2×) | ${p.toFixed(2)}× ${p <= 0.5 ? "✅" : "❌"} (≤ 0.5×)`;
  };
  const errors = Object.values(runs).reduce(
    (n, m) => n + [...Object.values(m.http), ...Object.values(m.grpc)].reduce((e, x) => e + x.errors, 0),
    0,
  );
  const lines = [
    describeRun(run, `MLP 16→64→64→4, 1 row per request; ${SECONDS} s per point`),
    "",
    "V1 REST predict (raw-socket HTTP/1.1 client):",
    "",
    "| server | c=1 | c=8 | c=32 | req/s vs KServe at c=32 | p99 vs KServe at c=32 |",
    "| --- | --- | --- | --- | --- | --- |",
    ...Object.entries(runs).map(
      ([name, m]) =>
        `| ${name} | ${cell(m.http.c1)} | ${cell(m.http.c8)} | ${cell(m.http.c32)} | ${versus(name, m.http.c32, k.http.c32)} |`,
    ),
    "",
    "V2 gRPC ModelInfer, raw_input_contents (thin node:http2 client, one connection):",
    "",
    "| server | c=8 | c=32 | req/s vs KServe at c=32 | p99 vs KServe at c=32 |",
    "| --- | --- | --- | --- | --- |",
    ...Object.entries(runs).map(
      ([name, m]) => `| ${name} | ${cell(m.grpc.c8)} | ${cell(m.grpc.c32)} | ${versus(name, m.grpc.c32, k.grpc.c32)} |`,
    ),
    "",
    `non-200 replies and gRPC errors: ${errors}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
