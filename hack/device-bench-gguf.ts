/**
 * The GGUF half of hack/device-bench.ts: a language model loaded by the runtime's own loader
 * (runtime/src/serve/llm/gguf.ts, as `serve --model-format gguf --llm-gpu-layers N` loads it) and greedy generation
 * timed on one sequence. node-llama-cpp says which backend it loaded (`engine.gpu`: "cuda", "vulkan" or "cpu"), so a
 * GPU run that fell back to the CPU is told apart from one that ran on CUDA. One process per measurement (CPU, then
 * GPU), so the CUDA build of llama.cpp never shares a process with the CPU build; prints one JSON line.
 *
 *   npx tsx hack/device-bench-gguf.ts PATH GPU_LAYERS THREADS SECONDS MAX_TOKENS
 */
import { performance } from "node:perf_hooks";
import { exitOnHelp } from "../bench/lib/help.js";

interface GgufMeasured {
  /** Generated tokens ÷ the time spent generating them (prompt evaluation included). */
  tokensPerSecond: number;
  generations: number;
  /** The backend llama.cpp runs on: "cpu", "cuda", ... */
  backend: string;
}

const PROMPT = "Write a long story about a lighthouse keeper who finds a message in a bottle.";

/** Loads `path` with `gpuLayers` layers offloaded (0: CPU only) and generates `maxTokens` tokens until `seconds`
 * have passed (at least twice, after one warm-up generation). */
async function measureGguf(
  path: string,
  o: { threads: number; gpuLayers: number; seconds: number; maxTokens: number },
): Promise<GgufMeasured> {
  const { loadGguf } = await import("../runtime/src/serve/llm/gguf.js");
  const gguf = await loadGguf(path, { contextSize: 512, threads: o.threads, gpuLayers: o.gpuLayers, parallel: 1 });
  try {
    const { LlamaCompletion } = await import("node-llama-cpp");
    const sequence = gguf.context.getSequence();
    const tokens = gguf.model.tokenize(PROMPT);
    const generate = async () => {
      const completion = new LlamaCompletion({ contextSequence: sequence });
      let n = 0;
      try {
        await completion.generateCompletion(tokens, {
          maxTokens: o.maxTokens,
          temperature: 0,
          disableContextShift: true,
          onToken: (t) => {
            n += t.length;
          },
        });
      } finally {
        completion.dispose();
        await sequence.clearHistory();
      }
      return n;
    };
    await generate();
    let generated = 0;
    let generations = 0;
    const start = performance.now();
    const end = start + o.seconds * 1000;
    while (generations < 2 || performance.now() < end) {
      generated += await generate();
      generations++;
    }
    return {
      tokensPerSecond: generated / ((performance.now() - start) / 1000),
      generations,
      backend: gguf.engine.gpu,
    };
  } finally {
    await gguf.dispose();
  }
}

exitOnHelp(import.meta.filename);
const [path, gpuLayers, threads, seconds, maxTokens] = process.argv.slice(2);
measureGguf(path as string, {
  gpuLayers: Number(gpuLayers),
  threads: Number(threads),
  seconds: Number(seconds),
  maxTokens: Number(maxTokens),
}).then(
  (m) => {
    process.stdout.write(`${JSON.stringify(m)}\n`);
    process.exit(0);
  },
  (err: unknown) => {
    process.stdout.write(`${JSON.stringify({ error: (err as Error).message.split("\n")[0] })}\n`);
    process.exit(1);
  },
);
