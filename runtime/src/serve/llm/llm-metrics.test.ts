import client from "prom-client";
import { describe, expect, it } from "vitest";
import { LLM_WINDOW_SECONDS, LlmMetrics } from "./llm-metrics.js";

function setup() {
  const registry = new client.Registry();
  const clock = { ms: 1_000_000 };
  const metrics = new LlmMetrics(registry, "smol", () => clock.ms);
  /** The value of one sample line of /metrics, e.g. value('liftoff_llm_requests_queued{model="smol"}'). */
  const value = async (series: string): Promise<number | undefined> => {
    const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(series.length + 1));
  };
  return { registry, clock, metrics, value };
}

describe("LlmMetrics: a language model's Prometheus series", () => {
  it("exports every series of issue #26 under liftoff_llm_*, labelled by model, from the first scrape", async () => {
    const { registry } = setup();
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual([
      "liftoff_llm_context_tokens_capacity",
      "liftoff_llm_context_tokens_in_use",
      "liftoff_llm_inter_token_seconds",
      "liftoff_llm_kv_cache_usage_ratio",
      "liftoff_llm_request_context_usage_ratio",
      "liftoff_llm_requests_cancelled_total",
      "liftoff_llm_requests_queued",
      "liftoff_llm_requests_running",
      "liftoff_llm_time_to_first_token_seconds",
      "liftoff_llm_tokens_total",
    ]);
    // Counters exist at 0 before any request, so rate() and the dashboard have a series at once.
    const text = await registry.metrics();
    expect(text).toContain('liftoff_llm_tokens_total{model="smol",kind="prompt"} 0');
    expect(text).toContain('liftoff_llm_tokens_total{model="smol",kind="generation"} 0');
  });

  it("reads queued, running and the KV cache from the host at scrape time; the ratio is in use / capacity", async () => {
    const { metrics, value } = setup();
    metrics.state = () => ({ queued: 3, running: 2, contextTokensInUse: 256, contextTokensCapacity: 1024 });
    expect(await value('liftoff_llm_requests_queued{model="smol"}')).toBe(3);
    expect(await value('liftoff_llm_requests_running{model="smol"}')).toBe(2);
    expect(await value('liftoff_llm_context_tokens_in_use{model="smol"}')).toBe(256);
    expect(await value('liftoff_llm_context_tokens_capacity{model="smol"}')).toBe(1024);
    expect(await value('liftoff_llm_kv_cache_usage_ratio{model="smol"}')).toBe(0.25);
    metrics.state = () => ({ queued: 0, running: 0, contextTokensInUse: 0, contextTokensCapacity: 0 });
    expect(await value('liftoff_llm_kv_cache_usage_ratio{model="smol"}')).toBe(0); // no context yet: not NaN
  });

  it("counts tokens by kind, observes first-token and inter-token times, and each request's share of its context", async () => {
    const { metrics, value } = setup();
    metrics.promptTokens(16);
    metrics.generatedTokens(1);
    metrics.generatedTokens(2);
    metrics.firstToken(0.2);
    metrics.interToken(0.02);
    metrics.interToken(0.03);
    metrics.contextUsed(128, 512);
    metrics.contextUsed(900, 512); // llama.cpp never overfills; clamped all the same
    expect(await value('liftoff_llm_tokens_total{model="smol",kind="prompt"}')).toBe(16);
    expect(await value('liftoff_llm_tokens_total{model="smol",kind="generation"}')).toBe(3);
    expect(await value('liftoff_llm_time_to_first_token_seconds_count{model="smol"}')).toBe(1);
    expect(await value('liftoff_llm_time_to_first_token_seconds_bucket{le="0.25",model="smol"}')).toBe(1);
    expect(await value('liftoff_llm_time_to_first_token_seconds_bucket{le="0.1",model="smol"}')).toBe(0);
    expect(await value('liftoff_llm_inter_token_seconds_count{model="smol"}')).toBe(2);
    expect(await value('liftoff_llm_inter_token_seconds_sum{model="smol"}')).toBeCloseTo(0.05);
    expect(await value('liftoff_llm_request_context_usage_ratio_bucket{le="0.25",model="smol"}')).toBe(1);
    expect(await value('liftoff_llm_request_context_usage_ratio_bucket{le="0.95",model="smol"}')).toBe(1);
    expect(await value('liftoff_llm_request_context_usage_ratio_bucket{le="1",model="smol"}')).toBe(2);
  });

  it("reset() (after the warm-up generation) starts every series and the window from zero", async () => {
    const { metrics, value, clock } = setup();
    metrics.promptTokens(5);
    metrics.generatedTokens(1);
    metrics.firstToken(3);
    metrics.cancel();
    clock.ms += 10_000;
    metrics.reset();
    expect(await value('liftoff_llm_tokens_total{model="smol",kind="prompt"}')).toBe(0);
    expect(await value('liftoff_llm_tokens_total{model="smol",kind="generation"}')).toBe(0);
    expect(await value('liftoff_llm_requests_cancelled_total{model="smol"}')).toBe(0);
    expect(await value('liftoff_llm_time_to_first_token_seconds_count{model="smol"}')).toBeUndefined();
    expect(metrics.window()).toEqual({ windowSeconds: 60, seconds: 0, promptTokens: 0, generationTokens: 0 });
  });

  it("window(): the last minute's tokens and the seconds they cover, for the operator's tokens/s", () => {
    const { metrics, clock } = setup();
    clock.ms += 20_000;
    metrics.promptTokens(10);
    metrics.generatedTokens(30);
    // A young pod covers only its age: 30 tokens in 20 s, not in 60.
    expect(metrics.window()).toEqual({ windowSeconds: 60, seconds: 20, promptTokens: 10, generationTokens: 30 });
    clock.ms += 30_000;
    metrics.generatedTokens(6);
    expect(metrics.window()).toMatchObject({ seconds: 50, generationTokens: 36 });
    // Past the minute the first tokens leave the window; the span stays one minute.
    clock.ms += 45_000;
    expect(metrics.window()).toEqual({
      windowSeconds: LLM_WINDOW_SECONDS,
      seconds: LLM_WINDOW_SECONDS,
      promptTokens: 0,
      generationTokens: 6,
    });
    clock.ms += 60_000;
    expect(metrics.window().generationTokens).toBe(0);
  });
});
