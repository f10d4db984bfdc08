/**
 * Serves one loaded GGUF model: renders a prompt (chat messages through the chat wrapper, or plain text), checks it
 * against the context and the token cap, waits for a sequence (slots.ts), and decodes on it with LlamaCompletion
 * — several requests at once share the context's batches (llama.cpp continuous batching). The sequence is freed
 * when the generation ends, fails, or its client goes away (the abort signal).
 */
import { performance } from "node:perf_hooks";
import type { ChatHistoryItem, LlamaContextSequence, LlamaGrammar, LlamaText, Token } from "node-llama-cpp";
import { errors } from "../../errors.js";
import type { GgufModel } from "./gguf.js";
import { grammarSchema } from "./json-schema.js";
import type { LlmMetrics } from "./llm-metrics.js";
import { Slots } from "./slots.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export type Prompt = { kind: "chat"; messages: readonly ChatMessage[] } | { kind: "text"; text: string };

export interface GenerationRequest {
  prompt: Prompt;
  /** Undefined: up to the cap (--llm-max-tokens) and what the context has left. */
  maxTokens: number | undefined;
  /** 0: greedy. */
  temperature: number;
  topP: number | undefined;
  seed: number | undefined;
  stop: readonly string[];
  /** response_format json_schema: output constrained by a llama.cpp grammar. */
  jsonSchema: object | undefined;
}

export interface Generation {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** "length": stopped by max_tokens or the context's end. */
  finishReason: "stop" | "length";
}

export interface Admitted {
  promptTokens: number;
  /** Decodes; `onText` receives the text as it is generated (streaming). The sequence is freed when it settles. */
  run(onText?: (chunk: string) => void): Promise<Generation>;
}

export interface LlmHostOptions {
  /** Cap on max_tokens (--llm-max-tokens). */
  maxTokens: number;
  /** Requests waiting or decoding at once (--max-pending-requests). */
  maxPending: number;
  metrics: LlmMetrics;
}

export class LlmHost {
  private readonly slots: Slots;
  private readonly active = new Set<LlamaContextSequence>();
  /** Every sequence of the context, taken once: a disposed sequence's id comes back only later (asynchronously), so
   * sequences are cleared and reused instead; a slot always finds one here (slots and sequences are equal in number). */
  private readonly free: LlamaContextSequence[] = [];

  constructor(
    readonly gguf: GgufModel,
    private readonly opts: LlmHostOptions,
  ) {
    const parallel = gguf.context.totalSequences;
    for (let i = 0; i < parallel; i++) this.free.push(gguf.context.getSequence());
    this.slots = new Slots(parallel, Math.max(0, opts.maxPending - parallel), opts.maxPending);
    opts.metrics.state = () => ({
      queued: this.slots.queued,
      running: this.slots.running,
      contextTokensInUse: [...this.active].reduce((n, s) => n + s.contextTokens.length, 0),
      contextTokensCapacity: gguf.contextSize * parallel,
    });
  }

  /** Its series, and the last minute's token counts the pod pushes to the operator (start.ts). */
  get metrics(): LlmMetrics {
    return this.opts.metrics;
  }

  get maxTokens(): number {
    return this.opts.maxTokens;
  }

  get contextSize(): number {
    return this.gguf.contextSize;
  }

  /** Requests decoding now (each holds a sequence). */
  get running(): number {
    return this.slots.running;
  }

  get queued(): number {
    return this.slots.queued;
  }

  /** The prompt's tokens as the model sees them, and where the chat format says a reply ends. */
  render(prompt: Prompt): { tokens: Token[]; stopTriggers: readonly (string | LlamaText)[] } {
    const { model, chatWrapper } = this.gguf;
    if (prompt.kind === "text") {
      const tokens = model.tokenize(prompt.text);
      const bos = model.tokens.bos;
      return {
        tokens: model.tokens.shouldPrependBosToken && bos !== null ? [bos, ...tokens] : tokens,
        stopTriggers: [],
      };
    }
    const chatHistory: ChatHistoryItem[] = prompt.messages.map((m) =>
      m.role === "assistant"
        ? { type: "model", response: [m.content] }
        : { type: m.role === "system" ? "system" : "user", text: m.content },
    );
    chatHistory.push({ type: "model", response: [] });
    const state = chatWrapper.generateContextState({ chatHistory });
    const tokens = state.contextText.tokenize(model.tokenizer);
    // node-llama-cpp's wrappers open with BOS; a model whose GGUF says add_bos_token false (SmolLM2's ChatML) never
    // saw it there in training, and its own template leaves it out: so do we, and usage counts what the model reads.
    if (!model.tokens.shouldPrependBosToken && tokens[0] === model.tokens.bos) tokens.shift();
    return { tokens, stopTriggers: state.stopGenerationTriggers };
  }

  private async grammarFor(schema: object | undefined): Promise<LlamaGrammar | undefined> {
    if (schema === undefined) return undefined;
    const checked = grammarSchema(schema);
    try {
      // biome-ignore lint/suspicious/noExplicitAny: the schema is checked by llama.cpp's grammar builder itself
      return await this.gguf.llama.createGrammarForJsonSchema(checked as any);
    } catch (err) {
      throw errors.invalidField(
        "response_format",
        `the JSON schema cannot be turned into a grammar: ${(err as Error).message.split("\n")[0]}`,
      );
    }
  }

  /**
   * Checks a request and waits for a sequence: everything that can refuse it (a bad field, a prompt over the
   * context, a full queue) happens here, before a streamed reply has sent its headers. `signal` is the client: aborted
   * while waiting, the request leaves the queue; while decoding, decoding stops, the sequence is freed and what was
   * generated so far is returned. Call `run` of the result exactly once.
   */
  async admit(req: GenerationRequest, signal?: AbortSignal): Promise<Admitted> {
    const received = performance.now();
    const { tokens, stopTriggers } = this.render(req.prompt);
    if (req.maxTokens !== undefined && req.maxTokens > this.opts.maxTokens)
      throw errors.invalidField(
        "max_tokens",
        `max_tokens is ${req.maxTokens}; this deployment allows at most ${this.opts.maxTokens} (--llm-max-tokens)`,
      );
    const room = this.contextSize - tokens.length;
    if (room < 1) throw errors.contextLengthExceeded(tokens.length, this.contextSize);
    const maxTokens = Math.min(req.maxTokens ?? this.opts.maxTokens, room);
    const grammar = await this.grammarFor(req.jsonSchema);
    const release = await this.slots.acquire(signal);
    return {
      promptTokens: tokens.length,
      run: (onText) =>
        this.decode({ ...req, maxTokens }, { tokens, stopTriggers, grammar, received }, release, onText, signal),
    };
  }

  /** admit, then run: the whole generation (tests, warm-up, non-streamed replies). */
  async generate(req: GenerationRequest, onText?: (chunk: string) => void, signal?: AbortSignal): Promise<Generation> {
    return (await this.admit(req, signal)).run(onText);
  }

  private async decode(
    req: GenerationRequest & { maxTokens: number },
    prompt: {
      tokens: Token[];
      stopTriggers: readonly (string | LlamaText)[];
      grammar: LlamaGrammar | undefined;
      received: number;
    },
    release: () => void,
    onText: ((chunk: string) => void) | undefined,
    signal: AbortSignal | undefined,
  ): Promise<Generation> {
    const { metrics } = this.opts;
    const sequence = this.free.pop();
    if (sequence === undefined) {
      release();
      throw new Error("no free sequence for an admitted request (slots and sequences out of step)");
    }
    this.active.add(sequence);
    let completion: import("node-llama-cpp").LlamaCompletion | undefined;
    try {
      const lib = await import("node-llama-cpp");
      completion = new lib.LlamaCompletion({ contextSequence: sequence });
      let generated = 0;
      let last = 0;
      // Prompt tokens count once evaluated (at the first token), generated ones as they come: rate() stays live
      // during a long generation.
      let promptCounted = false;
      const countPrompt = () => {
        if (!promptCounted) metrics.promptTokens(prompt.tokens.length);
        promptCounted = true;
      };
      const result = await completion.generateCompletionWithMeta(prompt.tokens, {
        maxTokens: req.maxTokens,
        temperature: req.temperature,
        ...(req.topP !== undefined ? { topP: req.topP } : {}),
        ...(req.seed !== undefined ? { seed: req.seed } : {}),
        ...(prompt.grammar !== undefined ? { grammar: prompt.grammar } : {}),
        customStopTriggers: [...prompt.stopTriggers, ...req.stop],
        disableContextShift: true,
        ...(signal !== undefined ? { signal, stopOnAbortSignal: true } : {}),
        ...(onText !== undefined ? { onTextChunk: onText } : {}),
        onToken: (t) => {
          const now = performance.now();
          if (generated === 0) {
            metrics.firstToken((now - prompt.received) / 1000);
            countPrompt();
          } else metrics.interToken((now - last) / 1000);
          last = now;
          generated += t.length;
          metrics.generatedTokens(t.length);
        },
      });
      countPrompt();
      metrics.contextUsed(prompt.tokens.length + generated, this.contextSize);
      if (signal?.aborted) metrics.cancel();
      return {
        text: result.response,
        promptTokens: prompt.tokens.length,
        completionTokens: generated,
        finishReason: result.metadata.stopReason === "maxTokens" ? "length" : "stop",
      };
    } catch (err) {
      if (signal?.aborted) metrics.cancel();
      throw err;
    } finally {
      completion?.dispose();
      this.active.delete(sequence);
      // The next request starts from an empty KV cache; the slot is free only once the sequence is back.
      try {
        await sequence.clearHistory();
      } finally {
        this.free.push(sequence);
        release();
      }
    }
  }

  async dispose(): Promise<void> {
    await this.gguf.dispose();
  }
}
