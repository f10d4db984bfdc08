/**
 * Opens a GGUF file in llama.cpp (node-llama-cpp) for gguf.ts (generation) and gguf-embedding.ts (embeddings): the
 * library, then the model. node-llama-cpp is imported here only, so pods serving other formats never load
 * llama.cpp's native library.
 */
import type { Llama, LlamaModel } from "node-llama-cpp";
import { ConfigError } from "../../errors.js";

export type LlamaLib = typeof import("node-llama-cpp");

export interface OpenedLlamaModel {
  readonly lib: LlamaLib;
  readonly llama: Llama;
  readonly model: LlamaModel;
  /** llama.cpp's release tag and whether it runs on a GPU ("cuda", ...) or the CPU. */
  readonly engine: { release: string; gpu: string };
  /** Frees the model, then the library (after whatever `use` built on them). */
  dispose(): Promise<void>;
}

/**
 * Loads the model and hands it to `use` (which builds its context); if loading or `use` throws, the model and the
 * library are freed before the error goes on. `path` must already be digest-checked (gguf-file.ts).
 */
export async function openLlamaModel<T>(
  path: string,
  gpuLayers: number,
  use: (opened: OpenedLlamaModel) => Promise<T>,
): Promise<T> {
  const lib = await import("node-llama-cpp");
  // build "never": the prebuilt binaries from npm only (no compiler at run time); the CUDA build only with GPU layers.
  const llama = await lib.getLlama({
    gpu: gpuLayers > 0 ? "auto" : false,
    build: "never",
    logLevel: lib.LlamaLogLevel.error,
    progressLogs: false,
  });
  let model: LlamaModel | undefined;
  try {
    try {
      model = await llama.loadModel({ modelPath: path, gpuLayers });
    } catch (err) {
      throw new ConfigError(`llama.cpp cannot load the GGUF model: ${(err as Error).message.split("\n")[0]}`);
    }
    const loaded = model;
    return await use({
      lib,
      llama,
      model: loaded,
      engine: { release: llama.llamaCppRelease.release, gpu: llama.gpu === false ? "cpu" : llama.gpu },
      async dispose() {
        await loaded.dispose();
        await llama.dispose();
      },
    });
  } catch (err) {
    await model?.dispose();
    await llama.dispose();
    throw err;
  }
}
