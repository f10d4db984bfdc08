import { describe, expect, it } from "vitest";
import { BASE_BYTES, checkGgufFits, checkModelFits, ggufMemoryNeeded, memoryNeeded } from "./memory-fit.js";

const MiB = 1024 * 1024;

describe("memory fit", () => {
  it.each([
    // model bytes, format, limit, fits
    [100 * MiB, "onnx", 456 * MiB, true], // 200 + 256 = 456: exactly at the limit
    [100 * MiB, "onnx", 455 * MiB, false],
    [100 * MiB, "tfjs", 456 * MiB, true],
    [100 * MiB, "tfjs", 455 * MiB, false],
    [4096 * MiB, "onnx", 0, true], // no limit known: no check
    [4096 * MiB, "onnx", undefined, true],
  ] as const)("%d bytes of %s within %s: %s", (bytes, format, limit, fits) => {
    const check = () => checkModelFits(bytes, format, limit);
    if (fits) expect(check).not.toThrow();
    else expect(check).toThrow(/^ModelTooLarge: /);
  });

  it("needs the file times its format's factor plus the runtime's own base", () => {
    expect(memoryNeeded(3 * MiB, "onnx")).toBe(6 * MiB + BASE_BYTES);
  });

  // SmolLM2-135M-Instruct Q4_1 (docs/models.md): 98,362,432 bytes; 30 layers × 3 KV heads × (64 + 64) × 2 bytes.
  const smol = { fileBytes: 98_362_432, kvBytesPerToken: 23_040, layers: 30, gpuLayers: 0 };

  it("needs a GGUF file plus the KV cache of every sequence's context plus the base", () => {
    const { need, kvBytes } = ggufMemoryNeeded({ ...smol, contextTokens: 2048 * 4 });
    expect(kvBytes).toBe(23_040 * 8192); // 180 MiB
    expect(need).toBe(98_362_432 + 23_040 * 8192 + BASE_BYTES);
  });

  it("refuses a GGUF model whose context does not fit, naming the KV cache and the memory to ask for", () => {
    // 2048 tokens × 4 sequences: 93.8 + 180 + 256 = 530 MiB, over 512 MiB; the same model with 512 × 2 fits.
    expect(() => checkGgufFits({ ...smol, contextTokens: 2048 * 4 }, 512 * MiB)).toThrow(
      /^ModelTooLarge: the model is 93\.8 MiB and needs about 530 MiB to load \(\(the file \+ 180\.0 MiB of KV cache for 8192 tokens of context\) \+ 256 MiB\), more than the container's memory limit of 512 MiB; raise spec\.resources\.memory to at least 530Mi$/,
    );
    expect(() => checkGgufFits({ ...smol, contextTokens: 512 * 2 }, 512 * MiB)).not.toThrow();
    expect(() => checkGgufFits({ ...smol, contextTokens: 2048 * 4 }, 0)).not.toThrow();
  });

  it("leaves the layers on the GPU out of the host's share", () => {
    expect(ggufMemoryNeeded({ ...smol, contextTokens: 8192, gpuLayers: 30 }).need).toBe(BASE_BYTES);
    expect(ggufMemoryNeeded({ ...smol, contextTokens: 8192, gpuLayers: 99 }).need).toBe(BASE_BYTES);
    const half = ggufMemoryNeeded({ ...smol, contextTokens: 8192, gpuLayers: 15 });
    expect(half.need).toBe(Math.ceil((98_362_432 + 23_040 * 8192) / 2) + BASE_BYTES);
    expect(() => checkGgufFits({ ...smol, contextTokens: 2048 * 4, gpuLayers: 15 }, 300 * MiB)).toThrow(
      /× 50% of the layers on the CPU/,
    );
  });
});
