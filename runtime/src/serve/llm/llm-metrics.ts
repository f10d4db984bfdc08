/**
 * A generative model's Prometheus series, on the runtime's registry: time to first token, time between tokens,
 * prompt and generated tokens (tokens/s is their rate()), requests queued and running, the KV cache (tokens held by
 * running sequences, its capacity and their ratio; how much of its sequence's context each request used), and
 * requests cancelled because their client went away (each one's sequence is freed at once: running drops with it).
 * It also keeps the last minute's token counts for the operator (window()): the pod pushes them and the operator
 * shows their sum over the pods as tokens/s in `kubectl get mdep` (docs/monitoring.md).
 */
import client from "prom-client";
import { SlidingCounts } from "../monitoring/window.js";

const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ITL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const RATIO_BUCKETS = [0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 1];

/** The window of the token counts the pod pushes: tokens/s over the last minute, to one slot (5 s). */
export const LLM_WINDOW_SECONDS = 60;
const LLM_WINDOW_SLOTS = 12;
const PROMPT = 0;
const GENERATION = 1;

/** What the host reports at scrape time (llm-host.ts), so nothing is counted twice. */
export interface LlmState {
  queued: number;
  running: number;
  /** Tokens in the KV cache of the running sequences. */
  contextTokensInUse: number;
  /** KV cache cells: the context size of one sequence × the sequences. */
  contextTokensCapacity: number;
}

/** Tokens over the last `seconds` (at most windowSeconds; less while the pod is younger): the pushed `llm` section. */
export interface LlmWindow {
  windowSeconds: number;
  seconds: number;
  promptTokens: number;
  generationTokens: number;
}

export class LlmMetrics {
  private readonly ttft: client.Histogram<"model">;
  private readonly itl: client.Histogram<"model">;
  private readonly requestContext: client.Histogram<"model">;
  private readonly tokens: client.Counter<"model" | "kind">;
  private readonly cancelled: client.Counter<"model">;
  private counts!: SlidingCounts;
  private since = 0;
  /** Read at scrape time from the host (llm-host.ts). */
  state: () => LlmState = () => ({ queued: 0, running: 0, contextTokensInUse: 0, contextTokensCapacity: 0 });

  constructor(
    registry: client.Registry,
    private readonly model: string,
    /** Milliseconds clock of the window (tests move it). */
    private readonly now: () => number = Date.now,
  ) {
    const registers = [registry];
    this.ttft = new client.Histogram({
      name: "liftoff_llm_time_to_first_token_seconds",
      help: "From a generation request's receipt to its first generated token (queueing and prompt evaluation included)",
      labelNames: ["model"],
      buckets: TTFT_BUCKETS,
      registers,
    });
    this.itl = new client.Histogram({
      name: "liftoff_llm_inter_token_seconds",
      help: "Time between consecutive generated tokens of one request",
      labelNames: ["model"],
      buckets: ITL_BUCKETS,
      registers,
    });
    this.requestContext = new client.Histogram({
      name: "liftoff_llm_request_context_usage_ratio",
      help: "Share of its sequence's context a finished request filled (prompt and generated tokens / context size)",
      labelNames: ["model"],
      buckets: RATIO_BUCKETS,
      registers,
    });
    this.tokens = new client.Counter({
      name: "liftoff_llm_tokens_total",
      help: "Tokens evaluated (kind=prompt) and generated (kind=generation, counted as each is); rate() is tokens/s",
      labelNames: ["model", "kind"],
      registers,
    });
    this.cancelled = new client.Counter({
      name: "liftoff_llm_requests_cancelled_total",
      help: "Generations stopped because the client disconnected (their sequence freed at once)",
      labelNames: ["model"],
      registers,
    });
    const self = this;
    const gauge = (name: string, help: string, value: (s: LlmState) => number) =>
      new client.Gauge({
        name,
        help,
        labelNames: ["model"],
        registers,
        collect() {
          this.set({ model }, value(self.state()));
        },
      });
    gauge("liftoff_llm_requests_queued", "Generation requests waiting for a free sequence", (s) => s.queued);
    gauge(
      "liftoff_llm_requests_running",
      "Generation requests decoding now (sequences in use, at most --llm-parallel)",
      (s) => s.running,
    );
    gauge(
      "liftoff_llm_context_tokens_in_use",
      "Tokens held in the KV cache by running sequences",
      (s) => s.contextTokensInUse,
    );
    gauge(
      "liftoff_llm_context_tokens_capacity",
      "Tokens the KV cache holds in all: context size per sequence × sequences (--llm-parallel)",
      (s) => s.contextTokensCapacity,
    );
    gauge("liftoff_llm_kv_cache_usage_ratio", "Share of the KV cache held by running sequences (0 to 1)", (s) =>
      s.contextTokensCapacity > 0 ? s.contextTokensInUse / s.contextTokensCapacity : 0,
    );
    this.reset();
  }

  /**
   * Starts every series and the window from zero: the host's warm-up generation at load is not traffic. Counters
   * reset to 0 when a pod starts anyway, so rate() sees nothing but a restart.
   */
  reset(): void {
    for (const m of [this.ttft, this.itl, this.requestContext, this.tokens, this.cancelled]) m.reset();
    this.tokens.inc({ model: this.model, kind: "prompt" }, 0);
    this.tokens.inc({ model: this.model, kind: "generation" }, 0);
    this.cancelled.inc({ model: this.model }, 0);
    this.counts = new SlidingCounts(2, LLM_WINDOW_SECONDS, LLM_WINDOW_SLOTS, this.now);
    this.since = this.now();
  }

  firstToken(seconds: number): void {
    this.ttft.observe({ model: this.model }, seconds);
  }

  interToken(seconds: number): void {
    this.itl.observe({ model: this.model }, seconds);
  }

  promptTokens(n: number): void {
    this.tokens.inc({ model: this.model, kind: "prompt" }, n);
    this.counts.add(PROMPT, n);
  }

  generatedTokens(n: number): void {
    this.tokens.inc({ model: this.model, kind: "generation" }, n);
    this.counts.add(GENERATION, n);
  }

  /** A request ended holding `used` tokens of its sequence's `contextSize`. */
  contextUsed(used: number, contextSize: number): void {
    if (contextSize > 0) this.requestContext.observe({ model: this.model }, Math.min(1, used / contextSize));
  }

  cancel(): void {
    this.cancelled.inc({ model: this.model });
  }

  /** The last minute's tokens (the pod's push; the operator turns it into tokens/s). */
  window(): LlmWindow {
    const sum = this.counts.sum();
    return {
      windowSeconds: LLM_WINDOW_SECONDS,
      seconds: Math.min(LLM_WINDOW_SECONDS, Math.max(0, (this.now() - this.since) / 1000)),
      promptTokens: sum[PROMPT] as number,
      generationTokens: sum[GENERATION] as number,
    };
  }
}
