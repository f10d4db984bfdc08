/**
 * A generative model's Prometheus series, on the runtime's registry: time to first token, time between tokens,
 * prompt and generated tokens (tokens/s is their rate()), requests queued and running, and requests cancelled
 * because their client went away (each one's sequence is freed at once: running drops with it).
 */
import client from "prom-client";

const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const ITL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export class LlmMetrics {
  private readonly ttft: client.Histogram<"model">;
  private readonly itl: client.Histogram<"model">;
  private readonly tokens: client.Counter<"model" | "kind">;
  private readonly cancelled: client.Counter<"model">;
  /** Read at scrape time from the host (llm-host.ts), so nothing is counted twice. */
  state: () => { queued: number; running: number; contextTokensInUse: number } = () => ({
    queued: 0,
    running: 0,
    contextTokensInUse: 0,
  });

  constructor(
    registry: client.Registry,
    private readonly model: string,
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
    this.tokens = new client.Counter({
      name: "liftoff_llm_tokens_total",
      help: "Tokens evaluated (kind=prompt) and generated (kind=generation); rate() is tokens/s",
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
    new client.Gauge({
      name: "liftoff_llm_requests_queued",
      help: "Generation requests waiting for a free sequence",
      labelNames: ["model"],
      registers,
      collect() {
        this.set({ model }, self.state().queued);
      },
    });
    new client.Gauge({
      name: "liftoff_llm_requests_running",
      help: "Generation requests decoding now (sequences in use, at most --llm-parallel)",
      labelNames: ["model"],
      registers,
      collect() {
        this.set({ model }, self.state().running);
      },
    });
    new client.Gauge({
      name: "liftoff_llm_context_tokens_in_use",
      help: "Tokens held in the KV cache by running sequences",
      labelNames: ["model"],
      registers,
      collect() {
        this.set({ model }, self.state().contextTokensInUse);
      },
    });
    this.tokens.inc({ model, kind: "prompt" }, 0);
    this.tokens.inc({ model, kind: "generation" }, 0);
    this.cancelled.inc({ model }, 0);
  }

  firstToken(seconds: number): void {
    this.ttft.observe({ model: this.model }, seconds);
  }

  interToken(seconds: number): void {
    this.itl.observe({ model: this.model }, seconds);
  }

  promptTokens(n: number): void {
    this.tokens.inc({ model: this.model, kind: "prompt" }, n);
  }

  generatedTokens(n: number): void {
    this.tokens.inc({ model: this.model, kind: "generation" }, n);
  }

  cancel(): void {
    this.cancelled.inc({ model: this.model });
  }
}
