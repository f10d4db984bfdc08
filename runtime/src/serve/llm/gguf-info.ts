/**
 * What the runtime must know about a GGUF file before llama.cpp loads it, read from its metadata header only
 * (node-llama-cpp's reader, pure JS: the native library is not loaded): whether it is an embedding model, and
 * what its KV cache costs per token. The decision is llama.cpp's own: a model whose metadata sets a pooling type
 * (mean, CLS, last token) pools its hidden states into one vector per input, and an encoder (non-causal
 * attention, e.g. BERT) cannot generate; either is served on /v1/embeddings, anything else on the chat routes.
 */
import { ConfigError } from "../../errors.js";

/** GGUF `<arch>.pooling_type` (llama.cpp's enum llama_pooling_type). */
const POOLING = { 1: "mean", 2: "cls", 3: "last" } as const;

export interface GgufInfo {
  architecture: string;
  /** An embedding model (see above); false: a generative one. */
  embedding: boolean;
  /** mean, cls or last for an embedding model that declares it. */
  pooling: string | undefined;
  /** Transformer blocks (layers); 0 when the metadata does not say. */
  layers: number;
  /** Bytes of K and V cache per token of context, f16 (llama.cpp's default cache type), all layers together. */
  kvBytesPerToken: number;
  /** The context the model was trained on (0: unknown). */
  trainContextSize: number;
}

interface ArchMetadata {
  pooling_type?: number;
  block_count?: number;
  embedding_length?: number;
  context_length?: number;
  attention?: {
    head_count?: number | number[];
    head_count_kv?: number | number[];
    key_length?: number;
    value_length?: number;
    causal?: boolean;
  };
}

const first = (v: number | number[] | undefined): number | undefined => (Array.isArray(v) ? v[0] : v);

/** K+V bytes per token: per layer, (key_length + value_length) × KV heads × 2 bytes. Pure, for tests. */
export function kvBytesPerToken(meta: ArchMetadata, encoderOnly: boolean): number {
  // An encoder evaluates each input whole and keeps no cache between batches (llama.cpp allocates none for it).
  if (encoderOnly) return 0;
  const layers = meta.block_count ?? 0;
  const embd = meta.embedding_length ?? 0;
  const heads = first(meta.attention?.head_count) ?? 0;
  if (layers === 0 || embd === 0 || heads === 0) return 0;
  const headDim = embd / heads;
  const kLen = meta.attention?.key_length ?? headDim;
  const vLen = meta.attention?.value_length ?? headDim;
  const kv = meta.attention?.head_count_kv;
  // Per-layer KV heads where the model varies them (0 for a layer without attention).
  const kvHeads = Array.isArray(kv) ? kv : Array.from({ length: layers }, () => kv ?? heads);
  return kvHeads.reduce((sum, h) => sum + (kLen + vLen) * h * 2, 0);
}

/** Reads the header of a local GGUF file (already digest-checked and magic-checked, gguf-file.ts). */
export async function readGgufInfo(path: string): Promise<GgufInfo> {
  const { readGgufFileInfo } = await import("node-llama-cpp");
  let info: Awaited<ReturnType<typeof readGgufFileInfo>>;
  try {
    info = await readGgufFileInfo(path, {
      readTensorInfo: false,
      sourceType: "filesystem",
      logWarnings: false,
      // The vocabulary is most of the header and not needed here.
      ignoreKeys: [
        "tokenizer.ggml.tokens",
        "tokenizer.ggml.scores",
        "tokenizer.ggml.token_type",
        "tokenizer.ggml.merges",
      ],
    });
  } catch (err) {
    throw new ConfigError(`the GGUF file's metadata cannot be read: ${(err as Error).message.split("\n")[0]}`);
  }
  const architecture = String(info.metadata.general?.architecture ?? "unknown");
  const meta = (info.architectureMetadata ?? {}) as ArchMetadata;
  const pooling = POOLING[meta.pooling_type as keyof typeof POOLING];
  const encoderOnly = meta.attention?.causal === false;
  return {
    architecture,
    embedding: pooling !== undefined || encoderOnly,
    pooling,
    layers: meta.block_count ?? 0,
    kvBytesPerToken: kvBytesPerToken(meta, encoderOnly),
    trainContextSize: meta.context_length ?? 0,
  };
}
