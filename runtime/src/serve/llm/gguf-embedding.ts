/**
 * Loads a GGUF embedding model (gguf-info.ts says which) with llama.cpp: the model and one embedding context —
 * llama.cpp pools the hidden states as the model's metadata says (mean, CLS, last token) into one vector per input.
 * The context is the model's trained one at most (a BERT's position table ends there). llama-load.ts opens the file.
 */
import type { Llama, LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";
import { ConfigError } from "../../errors.js";
import { openLlamaModel } from "./llama-load.js";

export interface EmbeddingModelOptions {
  /** Tokens one input may have (less one); capped at the model's trained context. */
  contextSize: number;
  /** CPU threads; 0: every core llama.cpp sees. */
  threads: number;
  /** Layers offloaded to the GPU; 0: CPU only. */
  gpuLayers: number;
}

export interface GgufEmbeddingModel {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaEmbeddingContext;
  /** Tokens the context holds: an input must have fewer. */
  readonly contextSize: number;
  /** Length of each vector. */
  readonly dimensions: number;
  /** Token ids an input given as ids may use: 0 to vocabularySize - 1. */
  readonly vocabularySize: number;
  readonly engine: { release: string; gpu: string };
  dispose(): Promise<void>;
}

/** `path` must already be digest-checked (gguf-file.ts). */
export async function loadGgufEmbedding(path: string, o: EmbeddingModelOptions): Promise<GgufEmbeddingModel> {
  return openLlamaModel(path, o.gpuLayers, async (opened) => {
    const loaded = opened.model;
    const trained = loaded.trainContextSize;
    const contextSize = trained > 0 ? Math.min(o.contextSize, trained) : o.contextSize;
    let context: LlamaEmbeddingContext;
    try {
      context = await loaded.createEmbeddingContext({
        contextSize,
        // A non-causal model evaluates an input in one batch: the batch holds a whole context.
        batchSize: contextSize,
        ...(o.threads > 0 ? { threads: o.threads } : { threads: 0 }),
      });
    } catch (err) {
      throw new ConfigError(
        `llama.cpp cannot create an embedding context of ${contextSize} tokens: ${(err as Error).message.split("\n")[0]}`,
      );
    }
    const tokens = loaded.fileInfo.metadata.tokenizer?.ggml?.tokens;
    return {
      llama: opened.llama,
      model: loaded,
      context,
      contextSize,
      dimensions: loaded.embeddingVectorSize,
      vocabularySize: Array.isArray(tokens) ? tokens.length : 0,
      engine: opened.engine,
      async dispose() {
        await context.dispose();
        await opened.dispose();
      },
    };
  });
}
