/**
 * Serves one loaded GGUF embedding model: checks every input of a request (empty, a token id outside the
 * vocabulary, longer than the context: each a 400 naming the input) before any is evaluated, waits its turn (one
 * request evaluates at a time on the one embedding context, at most --max-pending-requests wait: 503 beyond),
 * and returns one unit-length vector per input (L2-normalised, as OpenAI's and llama.cpp's own server return them,
 * so a dot product is the cosine). A client that goes away stops its request between inputs.
 */
import type { Token } from "node-llama-cpp";
import { errors, RuntimeError } from "../../errors.js";
import type { GgufEmbeddingModel } from "./gguf-embedding.js";
import type { LlmMetrics } from "./llm-metrics.js";
import { Slots } from "./slots.js";

/** Text, or the model's own token ids. */
export type EmbeddingInput = string | readonly number[];

/** Inputs one request may carry. */
export const MAX_EMBEDDING_INPUTS = 256;

export interface EmbeddingResult {
  vectors: Float32Array[];
  /** Tokens evaluated, all inputs together (the model's special tokens included). */
  promptTokens: number;
}

export interface EmbeddingHostOptions {
  /** Requests waiting or evaluating at once (--max-pending-requests). */
  maxPending: number;
  metrics: LlmMetrics;
}

function unit(v: readonly number[]): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = norm > 0 ? (v[i] as number) / norm : 0;
  return out;
}

export class EmbeddingHost {
  private readonly slots: Slots;

  constructor(
    readonly gguf: GgufEmbeddingModel,
    private readonly opts: EmbeddingHostOptions,
  ) {
    this.slots = new Slots(1, Math.max(0, opts.maxPending - 1), opts.maxPending);
    // An embedding is one forward pass: no KV cache is kept between requests, so none is reported in use or held.
    opts.metrics.state = () => ({
      queued: this.slots.queued,
      running: this.slots.running,
      contextTokensInUse: 0,
      contextTokensCapacity: 0,
    });
  }

  get dimensions(): number {
    return this.gguf.dimensions;
  }

  get contextSize(): number {
    return this.gguf.contextSize;
  }

  /** The tokens an input is evaluated as (with the model's special tokens), checked; `param` names it in errors. */
  private tokensOf(input: EmbeddingInput, param: string): number {
    if (input.length === 0) throw errors.invalidField(param, `${param} is empty; give text or token ids to embed`);
    if (typeof input !== "string") {
      const vocab = this.gguf.vocabularySize;
      const bad = input.findIndex((t) => !Number.isInteger(t) || t < 0 || (vocab > 0 && t >= vocab));
      if (bad !== -1)
        throw errors.invalidField(
          `${param}[${bad}]`,
          `${param}[${bad}] is not a token id of this model (integers from 0 to ${vocab - 1})`,
        );
    }
    const n = this.gguf.context.calculateInputLength(typeof input === "string" ? input : ([...input] as Token[]));
    // llama.cpp's embedding context needs one cell to spare.
    if (n >= this.contextSize)
      throw Object.assign(
        new RuntimeError(
          "LIFTOFF_ERR_CONTEXT_EXCEEDED",
          `${param} is ${n} tokens; this model embeds at most ${this.contextSize - 1} tokens per input`,
        ),
        { param },
      );
    return n;
  }

  /**
   * Embeds every input, in order. Everything that can refuse the request happens before it waits for its turn;
   * `signal` is the client: gone while waiting, it leaves the queue; gone while evaluating, it stops at the next input.
   */
  async embed(inputs: readonly EmbeddingInput[], signal?: AbortSignal): Promise<EmbeddingResult> {
    if (inputs.length === 0) throw errors.invalidField("input", "input is empty; give text or token ids to embed");
    if (inputs.length > MAX_EMBEDDING_INPUTS)
      throw errors.invalidField(
        "input",
        `input has ${inputs.length} items; at most ${MAX_EMBEDDING_INPUTS} per request`,
      );
    const single = inputs.length === 1;
    const counts = inputs.map((input, i) => this.tokensOf(input, single ? "input" : `input[${i}]`));
    const promptTokens = counts.reduce((a, b) => a + b, 0);
    const release = await this.slots.acquire(signal);
    const { metrics } = this.opts;
    try {
      const vectors: Float32Array[] = [];
      for (const input of inputs) {
        if (signal?.aborted) {
          metrics.cancel();
          throw signal.reason;
        }
        const e = await this.gguf.context.getEmbeddingFor(typeof input === "string" ? input : ([...input] as Token[]));
        vectors.push(unit(e.vector));
      }
      metrics.promptTokens(promptTokens);
      return { vectors, promptTokens };
    } finally {
      release();
    }
  }

  async dispose(): Promise<void> {
    await this.gguf.dispose();
  }
}
