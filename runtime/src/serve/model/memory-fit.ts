/**
 * Whether a model of a given size can load within the container's memory limit. Checked on the size declared before
 * the first byte is streamed (Content-Length, the file's stat) and again on the bytes actually written, so a pod
 * that cannot hold its model says so at once with a reason (ModelTooLarge) instead of being OOM-killed mid-load.
 */
import { MODEL_TOO_LARGE } from "../../contract/model-reasons.js";
import { ConfigError } from "../../errors.js";

/**
 * Resident memory per byte of model file while loading, a lower bound: onnxruntime holds the parsed protobuf beside
 * the initializers it builds from it until the session is ready; TF.js keeps the weights' buffer beside the tensors
 * made from them. What comes on top depends on the model, not its size (measured 2026-12-06, `serve` under tsx, peak
 * RSS over a tiny model's: EfficientNet-Lite0 fp32, 17.7 MiB file, +77 MiB; MiniLM with int8 weights, 21.9 MiB,
 * +228 MiB, as onnxruntime folds them into float32): a model that passes may still need more, one that fails cannot fit.
 */
export const MEMORY_FACTOR: Readonly<Record<"onnx" | "tfjs", number>> = { onnx: 2, tfjs: 2 };

/** What Node, the server and the native libraries take before any model (`serve` with a tiny ONNX model: 228 MiB). */
export const BASE_BYTES = 256 * 1024 * 1024;

const MiB = 1024 * 1024;

/** Bytes a model of `modelBytes` needs to load in `format`. */
export function memoryNeeded(modelBytes: number, format: keyof typeof MEMORY_FACTOR): number {
  return Math.ceil(modelBytes * MEMORY_FACTOR[format]) + BASE_BYTES;
}

/** The refusal, leading with the reason; `how` says what the estimate adds up. */
function tooLarge(modelBytes: number, need: number, how: string, limitBytes: number): ConfigError {
  return new ConfigError(
    `${MODEL_TOO_LARGE}: the model is ${(modelBytes / MiB).toFixed(1)} MiB and needs about ${Math.ceil(need / MiB)} MiB ` +
      `to load (${how}), more than the container's memory limit of ` +
      `${Math.floor(limitBytes / MiB)} MiB; raise spec.resources.memory to at least ${Math.ceil(need / MiB)}Mi`,
  );
}

/**
 * Throws a ConfigError that starts with the reason when the model cannot fit `limitBytes` (the container's memory
 * limit, LIFTOFF_MEMORY_LIMIT); no limit (undefined, 0) never refuses.
 */
export function checkModelFits(modelBytes: number, format: keyof typeof MEMORY_FACTOR, limitBytes?: number): void {
  if (limitBytes === undefined || !(limitBytes > 0)) return;
  const need = memoryNeeded(modelBytes, format);
  if (need <= limitBytes) return;
  throw tooLarge(modelBytes, need, `${MEMORY_FACTOR[format]}× the file + ${BASE_BYTES / MiB} MiB`, limitBytes);
}

/** What a GGUF model's host memory estimate is made of (llm/gguf-info.ts reads the metadata). */
export interface GgufMemory {
  fileBytes: number;
  /** K+V cache bytes per token (f16), all layers; 0 for an encoder (no cache). */
  kvBytesPerToken: number;
  /** Tokens per sequence × sequences: the cells llama.cpp allocates. */
  contextTokens: number;
  layers: number;
  /** Layers offloaded to the GPU: their weights and cache are not in host memory. */
  gpuLayers: number;
}

/**
 * Host memory a GGUF model needs at least: llama.cpp maps the file (its pages count against the container once
 * read, and every weight is read), allocates the KV cache for every sequence's whole context up front, and the
 * runtime's base comes on top. The share of the layers on the GPU is left out of both. A lower bound like the
 * others: llama.cpp's compute buffers (tens of MiB, growing with the batch and vocabulary) are not counted.
 */
export function ggufMemoryNeeded(m: GgufMemory): { need: number; kvBytes: number; hostShare: number } {
  const onGpu = m.layers > 0 ? Math.min(m.gpuLayers, m.layers) / m.layers : m.gpuLayers > 0 ? 1 : 0;
  const hostShare = 1 - onGpu;
  const kvBytes = m.kvBytesPerToken * m.contextTokens;
  return { need: Math.ceil((m.fileBytes + kvBytes) * hostShare) + BASE_BYTES, kvBytes, hostShare };
}

/** checkModelFits for a GGUF model: the file and its KV cache (ggufMemoryNeeded) against the limit. */
export function checkGgufFits(m: GgufMemory, limitBytes?: number): void {
  if (limitBytes === undefined || !(limitBytes > 0)) return;
  const { need, kvBytes, hostShare } = ggufMemoryNeeded(m);
  if (need <= limitBytes) return;
  const share = hostShare < 1 ? ` × ${(hostShare * 100).toFixed(0)}% of the layers on the CPU` : "";
  throw tooLarge(
    m.fileBytes,
    need,
    `(the file + ${(kvBytes / MiB).toFixed(1)} MiB of KV cache for ${m.contextTokens} tokens of context)${share} + ${BASE_BYTES / MiB} MiB`,
    limitBytes,
  );
}
