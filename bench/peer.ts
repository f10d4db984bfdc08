/**
 * npm run bench:peer — the same MLP (same weights) served by Liftoff's runtime
 * and by KServe's Python model server (kserve + tensorflow-cpu in a venv under
 * ~/.cache/liftoff, a custom kserve.Model in bench/kserve_model.py), under the
 * same closed-loop load, one after the other, in one run.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { mlp, saveLayersModel, tempDir } from "../runtime/src/test-helpers.js";
import { closedLoop, type LoadResult } from "./lib/client.js";
import { type Child, repoRoot, startChild, startRuntime } from "./lib/servers.js";

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

async function measure(server: Child, body: string): Promise<Record<string, LoadResult>> {
  const out: Record<string, LoadResult> = {};
  for (const c of [1, 8, 32]) {
    out[`c${c}`] = await closedLoop({
      port: server.port,
      path: "/v1/models/m:predict",
      body,
      concurrency: c,
      durationMs: SECONDS * 1000,
      warmupMs: 500,
    });
  }
  await server.stop();
  return out;
}

async function main(): Promise<void> {
  ensureVenv();
  const dir = await tempDir("liftoff-peer-");
  await saveLayersModel(mlp(16, 64, 4), dir);
  const body = JSON.stringify({ instances: [Array.from({ length: 16 }, (_, i) => i / 16)] });

  const runs: Record<string, Record<string, LoadResult>> = {};
  log("KServe (Python, tensorflow-cpu)");
  const port = await freePort();
  const kserve = await startChild(
    py,
    [
      path.join(repoRoot, "bench", "kserve_model.py"),
      "--model-dir",
      dir,
      "--http-port",
      String(port),
      "--configure_logging",
      "false",
    ],
    /kserve on port (\d+)/,
    "/v1/models/m",
  );
  runs.KServe = await measure(kserve, body);
  log("Liftoff runtime (--backend auto)");
  runs.Liftoff = await measure(await startRuntime(dir), body);
  log("Liftoff runtime (--backend auto, batching 32 / 0 ms)");
  runs["Liftoff + batching"] = await measure(
    await startRuntime(dir, ["--max-batch-size", "32", "--max-latency-ms", "0"]),
    body,
  );

  const k = runs.KServe as Record<string, LoadResult>;
  const cell = (r: LoadResult | undefined) =>
    r ? `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(0)} µs, p99 ${r.p99.toFixed(0)} µs` : "";
  const lines = [
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, Node ${process.version}; MLP 16→64→64→4, V1 predict, 1 row per request; ${SECONDS} s per point`,
    "",
    "| server | c=1 | c=8 | c=32 | req/s vs KServe at c=32 |",
    "| --- | --- | --- | --- | --- |",
    ...Object.entries(runs).map(([name, r]) => {
      const ratio = (r.c32?.rps ?? 0) / (k.c32?.rps ?? 1);
      return `| ${name} | ${cell(r.c1)} | ${cell(r.c8)} | ${cell(r.c32)} | ${ratio.toFixed(2)}×${name === "KServe" ? "" : ratio >= 2 ? " ✅ (≥ 2×)" : " ❌ (< 2×)"} |`;
    }),
    "",
    `non-200 replies: ${Object.values(runs).reduce((n, r) => n + Object.values(r).reduce((m, x) => m + x.errors, 0), 0)}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
