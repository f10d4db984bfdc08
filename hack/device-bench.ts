/**
 * The measuring half of hack/device-check.sh: each model through the runtime's own ONNX loader
 * (runtime/src/serve/model/onnx.ts, as `serve --gpu` loads it), on the CPU and — unless --cpu-only — with the GPU's
 * providers; one batch called back to back for a fixed time; throughput and p99 printed side by side. Each --gguf
 * language model through the runtime's GGUF loader (hack/device-bench-gguf.ts), with no GPU layers and — unless
 * --cpu-only — with every layer on the GPU (`--llm-gpu-layers`); generation tokens/s side by side. Exits 1 when
 * the GPU was asked for and not taken: the CUDA provider did not load (the runtime's GPUFallback), or llama.cpp
 * loaded another backend than CUDA; 2 on bad arguments.
 *
 *   npx tsx hack/device-bench.ts --model image=/path/model.onnx --model text=/path/model.onnx
 *     [--gguf smollm2=/path/model.gguf] [--cpu-only] [--seconds 5] [--batch 8] [--seq 128] [--threads 0]
 *     [--max-tokens 128]
 */
import { spawnSync } from "node:child_process";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { exitOnHelp } from "../bench/lib/help.js";
import type { LoadedModel, Tensor, TensorSpec } from "../runtime/src/serve/model/loaded-model.js";

interface Measured {
  rowsPerSecond: number;
  p99Ms: number;
  calls: number;
}

/** Inputs of `batch` rows; other unknown dimensions are `seq` long. Token-like integers are 1, masks 1, floats noise. */
function inputsFor(inputs: readonly TensorSpec[], batch: number, seq: number): Tensor[] {
  return inputs.map((s) => {
    const shape = s.shape.map((d, i) => (d !== -1 ? d : i === 0 ? batch : seq));
    const n = shape.reduce((a, b) => a * b, 1);
    switch (s.dtype) {
      case "float32": {
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
        return { data, shape };
      }
      case "int64":
        return { data: new BigInt64Array(n).fill(/type/.test(s.name) ? 0n : 1n), shape };
      case "int32":
        return { data: new Int32Array(n).fill(/type/.test(s.name) ? 0 : 1), shape };
      case "int8":
        return { data: new Int8Array(n), shape };
      default:
        return { data: new Uint8Array(n), shape };
    }
  });
}

async function measure(model: LoadedModel, feed: Tensor[], rows: number, seconds: number): Promise<Measured> {
  for (let i = 0; i < 3; i++) await model.run(feed);
  const times: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  while (times.length < 5 || performance.now() < end) {
    const t = performance.now();
    await model.run(feed);
    times.push(performance.now() - t);
  }
  const elapsed = (performance.now() - start) / 1000;
  times.sort((a, b) => a - b);
  const p99 = times[Math.min(times.length - 1, Math.ceil(times.length * 0.99) - 1)] as number;
  return { rowsPerSecond: (rows * times.length) / elapsed, p99Ms: p99, calls: times.length };
}

/** Every layer on the GPU: llama.cpp caps the count at the model's own. */
const ALL_LAYERS = 999;

interface GgufRun {
  tokensPerSecond?: number;
  backend?: string;
  error?: string;
}

/** One GGUF measurement in its own process (hack/device-bench-gguf.ts): the CPU and CUDA builds never share one. */
function ggufRun(path: string, gpuLayers: number, threads: number, seconds: number, maxTokens: number): GgufRun {
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      new URL("./device-bench-gguf.ts", import.meta.url).pathname,
      path,
      String(gpuLayers),
      String(threads),
      String(seconds),
      String(maxTokens),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  const last = r.stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(last) as GgufRun;
  } catch {
    return { error: `hack/device-bench-gguf.ts exited ${r.status ?? r.signal} without a result` };
  }
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  for (const r of [header, ...rows])
    console.log(
      r
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join("  ")
        .trimEnd(),
    );
}

function usage(message: string): never {
  process.stderr.write(`device-bench: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<number> {
  exitOnHelp(import.meta.filename);
  // Imported after --help: onnxruntime loads its native library.
  const { loadOnnx } = await import("../runtime/src/serve/model/onnx.js");
  let values: ReturnType<typeof parseArgs>["values"];
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: "string", multiple: true },
        gguf: { type: "string", multiple: true },
        "max-tokens": { type: "string", default: "128" },
        seconds: { type: "string", default: "5" },
        batch: { type: "string", default: "8" },
        seq: { type: "string", default: "128" },
        threads: { type: "string", default: "0" },
        "cpu-only": { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  const num = (k: string) => {
    const n = Number(values[k]);
    if (!Number.isFinite(n) || n < 0) usage(`--${k} must be a non-negative number, got ${values[k]}`);
    return n;
  };
  const [seconds, batch, seq, threads] = [num("seconds"), num("batch"), num("seq"), num("threads")];
  const maxTokens = num("max-tokens");
  const named = (flag: string) =>
    ((values[flag] as string[] | undefined) ?? []).map((m) => {
      const at = m.indexOf("=");
      if (at <= 0) usage(`--${flag} takes name=path, got ${m}`);
      return { name: m.slice(0, at), path: m.slice(at + 1) };
    });
  const models = named("model");
  const ggufs = named("gguf");
  if (models.length === 0 && ggufs.length === 0) usage("give at least one --model name=path or --gguf name=path");
  const cpuOnly = values["cpu-only"] === true;

  const rows: string[][] = [];
  const fallbacks: string[] = [];
  for (const m of models) {
    const cpu = await loadOnnx(m.path, { threads });
    const rowsPer = cpu.signature.batched ? batch : 1;
    const feed = inputsFor(cpu.signature.inputs, rowsPer, seq);
    const c = await measure(cpu, feed, rowsPer, seconds);
    cpu.dispose();
    let g: Measured | undefined;
    if (!cpuOnly) {
      let fallback: string | undefined;
      const gpu = await loadOnnx(m.path, { threads, gpu: true, onFallback: (message) => (fallback = message) });
      if (fallback !== undefined) fallbacks.push(`${m.name}: ${fallback}`);
      else g = await measure(gpu, feed, rowsPer, seconds);
      gpu.dispose();
    }
    const f = (n: number | undefined, d = 1) => (n === undefined ? "-" : n.toFixed(d));
    rows.push([
      m.name,
      String(rowsPer),
      f(c.rowsPerSecond),
      f(c.p99Ms, 2),
      f(g?.rowsPerSecond),
      f(g?.p99Ms, 2),
      g ? `${(g.rowsPerSecond / c.rowsPerSecond).toFixed(2)}x` : "-",
    ]);
  }
  if (rows.length > 0) {
    printTable(["model", "batch", "cpu rows/s", "cpu p99 ms", "gpu rows/s", "gpu p99 ms", "gpu/cpu"], rows);
  }

  const llmRows: string[][] = [];
  const notCuda: string[] = [];
  for (const m of ggufs) {
    const c = ggufRun(m.path, 0, threads, seconds, maxTokens);
    if (c.error !== undefined || c.tokensPerSecond === undefined) throw new Error(`${m.name} on the CPU: ${c.error}`);
    let g: GgufRun | undefined;
    if (!cpuOnly) {
      g = ggufRun(m.path, ALL_LAYERS, threads, seconds, maxTokens);
      if (g.error !== undefined) notCuda.push(`${m.name}: llama.cpp failed with GPU layers: ${g.error}`);
      else if (g.backend !== "cuda") notCuda.push(`${m.name}: llama.cpp loaded its ${g.backend} backend, not CUDA`);
    }
    const gpuTps = g?.backend === "cuda" ? g.tokensPerSecond : undefined;
    const f = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(1));
    llmRows.push([
      m.name,
      f(c.tokensPerSecond),
      f(gpuTps),
      gpuTps !== undefined ? `${(gpuTps / c.tokensPerSecond).toFixed(2)}x` : "-",
      g === undefined ? "-" : (g.backend ?? "failed"),
    ]);
  }
  if (llmRows.length > 0) {
    if (rows.length > 0) console.log("");
    printTable(["llm", "cpu tokens/s", "gpu tokens/s", "gpu/cpu", "gpu backend"], llmRows);
  }

  if (cpuOnly) {
    console.log("gpu: skipped (--cpu-only)");
    return 0;
  }
  if (fallbacks.length > 0 || notCuda.length > 0) {
    const why = [
      ...(fallbacks.length > 0 ? ["GPUFallback"] : []),
      ...(notCuda.length > 0 ? ["llama.cpp not on CUDA"] : []),
    ];
    console.log(`gpu: NOT taken (${why.join("; ")})\n${[...fallbacks, ...notCuda].map((f) => `  ${f}`).join("\n")}`);
    return 1;
  }
  const on = [
    ...(rows.length > 0 ? ["onnxruntime CUDA execution provider"] : []),
    ...(llmRows.length > 0 ? ["llama.cpp CUDA backend"] : []),
  ];
  console.log(`gpu: taken (${on.join("; ")})`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`device-bench: ${(err as Error).message.split("\n")[0]}\n`);
    process.exit(2);
  },
);
