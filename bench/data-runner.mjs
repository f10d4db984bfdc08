// Runs the compiled prepare pipeline (runtime/dist) on a spec for bench:data, in its own process so its wall time and
// peak RSS are measured alone. Encryption uses a local random data key in place of Vault transit (the segment
// encryption is the real one; only the key wrapping and the key store's write, one Vault call each per version, are
// left out).
// Usage: node bench/data-runner.mjs <spec.json> <out> <scratch>. Profiling: BENCH_PROGRESS=1 prints stage timestamps,
// BENCH_TRACE=1 every DuckDB statement with its time and the peak RSS so far, BENCH_EXPLAIN=<prefix> (with TRACE) its
// EXPLAIN ANALYZE to <prefix>-NN.txt.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { DuckDBConnection } from "@duckdb/node-api";
import { runPrepare } from "../runtime/dist/prepare/pipeline.js";
import { openSource } from "../runtime/dist/prepare/source.js";
import { specWithDefaults } from "../runtime/dist/prepare/spec.js";

const [specFile, out, scratch] = process.argv.slice(2);
if (process.env.BENCH_TRACE) {
  // Profiling: the time of every DuckDB statement the pipeline runs, on stderr.
  let n = 0;
  for (const m of ["run", "runAndReadAll"]) {
    const inner = DuckDBConnection.prototype[m];
    DuckDBConnection.prototype[m] = async function (sql, ...rest) {
      if (m === "run" && process.env.BENCH_EXPLAIN && /^(SELECT|COPY)/.test(sql)) {
        const rows = await (await inner.call(this, `EXPLAIN ANALYZE ${sql}`)).getRows();
        const text = rows.map((r) => String(r[1])).join("\n");
        writeFileSync(`${process.env.BENCH_EXPLAIN}-${String(++n).padStart(2, "0")}.txt`, `${sql}\n${text}`);
      }
      const t = performance.now();
      try {
        return await inner.call(this, sql, ...rest);
      } finally {
        const hwm = Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
        const ms = (performance.now() - t).toFixed(0).padStart(6);
        process.stderr.write(
          `  ${ms} ms  peak ${Math.round(hwm / 1024)} MiB  ${sql.replace(/\s+/g, " ").slice(0, 120)}\n`,
        );
      }
    };
  }
}
const spec = specWithDefaults(JSON.parse(readFileSync(specFile, "utf8")));
const key = randomBytes(32);
const kv = new Map();
const secrets = {
  readKv: async () => "",
  generateWrappedDataKey: async () => ({ wrappedKey: "local:bench" }),
  unwrapDataKey: async () => Buffer.from(key),
  // The version's key store (Vault KV in a pod), in memory: one write per version.
  writeKv: async (p, data) => void kv.set(p, data),
  readKvData: async (p) => kv.get(p),
  destroyKv: async (p) => void kv.delete(p),
};
const result = await runPrepare({
  spec,
  out,
  scratch,
  source: openSource(spec, { sourceRoot: "/" }),
  secrets,
  keyStore: { vault: secrets, owner: { namespace: "bench", dataset: "bench" } },
  threads: Number(process.env.BENCH_THREADS ?? 2),
  memoryLimit: process.env.BENCH_MEMORY_LIMIT ?? "768MB",
  progress: process.env.BENCH_PROGRESS
    ? (s) => process.stderr.write(`${(performance.now() / 1000).toFixed(2)}s ${s}\n`)
    : undefined,
});
process.stdout.write(`${JSON.stringify(result.rows)}\n`);
