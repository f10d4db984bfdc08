/**
 * Loads a GGUF file with llama.cpp (node-llama-cpp): one model, one context with `parallel` sequences (one per
 * request decoding at once), and the chat wrapper that renders messages into the model's prompt format — taken from
 * the GGUF metadata (node-llama-cpp's resolution) unless overridden. llama-load.ts opens the file.
 */
import type { ChatWrapper, Llama, LlamaContext, LlamaModel } from "node-llama-cpp";
import { ConfigError } from "../../errors.js";
import { type LlamaLib, openLlamaModel } from "./llama-load.js";

export interface GgufOptions {
  /** Tokens each sequence can hold (prompt and completion together). */
  contextSize: number;
  /** CPU threads for evaluation; 0: every core llama.cpp sees. */
  threads: number;
  /** Layers offloaded to the GPU; 0 keeps everything on the CPU (and never touches CUDA). */
  gpuLayers: number;
  /** Sequences on the one context: requests decoding at once. */
  parallel: number;
  /** A node-llama-cpp chat wrapper name (chatML, llama3, ...) or a Jinja template; undefined: the model's own. */
  chatTemplate?: string | undefined;
}

export interface GgufModel {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly chatWrapper: ChatWrapper;
  /** Tokens one sequence holds. */
  readonly contextSize: number;
  /** llama.cpp's release tag and whether it runs on a GPU ("cuda", ...) or the CPU. */
  readonly engine: { release: string; gpu: string };
  dispose(): Promise<void>;
}

/** The chat wrapper: the GGUF's own template unless `template` names a wrapper or is a Jinja template. */
export function chatWrapperFor(lib: LlamaLib, model: LlamaModel, template: string | undefined): ChatWrapper {
  if (template === undefined || template === "" || template === "auto") return lib.resolveChatWrapper(model);
  if (template.includes("{{") || template.includes("{%")) {
    try {
      return new lib.JinjaTemplateChatWrapper({ template });
    } catch (err) {
      throw new ConfigError(`the chat template is not a usable Jinja template: ${(err as Error).message}`);
    }
  }
  const named = lib.specializedChatWrapperTypeNames.find((n) => n === template);
  if (named !== undefined) return lib.resolveChatWrapper(model, { type: named });
  throw new ConfigError(
    `chat template '${template.slice(0, 80)}' is neither a Jinja template nor one of ${lib.specializedChatWrapperTypeNames.join(", ")}`,
  );
}

/** `path` must already be digest-checked (gguf-file.ts). */
export async function loadGguf(path: string, o: GgufOptions): Promise<GgufModel> {
  return openLlamaModel(path, o.gpuLayers, async (opened) => {
    const chatWrapper = chatWrapperFor(opened.lib, opened.model, o.chatTemplate);
    let context: LlamaContext;
    try {
      context = await opened.model.createContext({
        contextSize: o.contextSize,
        sequences: o.parallel,
        ...(o.threads > 0 ? { threads: o.threads } : {}),
      });
    } catch (err) {
      throw new ConfigError(
        `llama.cpp cannot create a context of ${o.contextSize} tokens × ${o.parallel} sequences: ${(err as Error).message.split("\n")[0]}`,
      );
    }
    return {
      llama: opened.llama,
      model: opened.model,
      context,
      chatWrapper,
      contextSize: context.contextSize,
      engine: opened.engine,
      async dispose() {
        await context.dispose();
        await opened.dispose();
      },
    };
  });
}
