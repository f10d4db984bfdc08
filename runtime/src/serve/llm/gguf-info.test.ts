import { describe, expect, it } from "vitest";
import { kvBytesPerToken } from "./gguf-info.js";

describe("GGUF KV cache per token", () => {
  it("is (key + value length) × KV heads × 2 bytes per layer, head size from the embedding by default", () => {
    // SmolLM2-135M: 30 layers, 576 wide, 9 heads (64 each), 3 KV heads.
    const smol = { block_count: 30, embedding_length: 576, attention: { head_count: 9, head_count_kv: 3 } };
    expect(kvBytesPerToken(smol, false)).toBe(30 * (64 + 64) * 3 * 2);
    // No head_count_kv: every head has its own K and V.
    expect(kvBytesPerToken({ ...smol, attention: { head_count: 9 } }, false)).toBe(30 * 128 * 9 * 2);
    // Explicit key/value lengths win over the embedding's share.
    const kl = { ...smol, attention: { head_count: 9, head_count_kv: 3, key_length: 128, value_length: 96 } };
    expect(kvBytesPerToken(kl, false)).toBe(30 * (128 + 96) * 3 * 2);
  });

  it("sums per-layer KV heads (0 for a layer without attention)", () => {
    const hybrid = { block_count: 3, embedding_length: 64, attention: { head_count: 4, head_count_kv: [2, 0, 2] } };
    expect(kvBytesPerToken(hybrid, false)).toBe((16 + 16) * 4 * 2);
  });

  it("is 0 for an encoder (no cache kept) and when the metadata does not say", () => {
    expect(kvBytesPerToken({ block_count: 6, embedding_length: 384, attention: { head_count: 12 } }, true)).toBe(0);
    expect(kvBytesPerToken({}, false)).toBe(0);
  });
});
