import { describe, expect, it } from "vitest";
import type { ModelDeployment, ModelDeploymentStatus } from "../api/v1alpha1/index.js";
import { withLlmThroughput } from "./llm-status.js";
import type { Observation } from "./monitoring/status.js";

const mdep = (format: "gguf" | "onnx", status?: ModelDeploymentStatus): ModelDeployment => ({
  metadata: { name: "smol", namespace: "ml", generation: 1 },
  spec: { model: { uri: "pvc://m/smol.gguf", format } },
  ...(status ? { status } : {}),
});
const LAST = { tokensPerSecond: 12.5, promptTokensPerSecond: 4, pods: 1 };
const merged = { pods: 2, windowSeconds: 0, rows: 0 };

describe("withLlmThroughput: status.llm, the TOKENS/S column", () => {
  it("a gguf model shows its pods' merged tokens/s", () => {
    const llm = { tokensPerSecond: 30.2, promptTokensPerSecond: 8.1, pods: 2 };
    expect(withLlmThroughput({ readyReplicas: 2 }, mdep("gguf"), { merged, llm }).llm).toEqual(llm);
  });

  it("keeps the last figure before the first merge (an operator restart writes nothing)", () => {
    expect(withLlmThroughput({}, mdep("gguf", { llm: LAST }), undefined).llm).toEqual(LAST);
    expect(withLlmThroughput({}, mdep("gguf"), undefined)).not.toHaveProperty("llm");
  });

  it("drops a stale figure when no ready pod pushes, or the pods pushed no tokens", () => {
    const unavailable: Observation = { unavailable: "no ready serving pod" };
    expect(withLlmThroughput({ llm: LAST }, mdep("gguf", { llm: LAST }), unavailable)).not.toHaveProperty("llm");
    expect(withLlmThroughput({ llm: LAST }, mdep("gguf", { llm: LAST }), { merged })).not.toHaveProperty("llm");
  });

  it("another format has no status.llm: its column stays empty", () => {
    const llm = { tokensPerSecond: 1, promptTokensPerSecond: 1, pods: 1 };
    expect(withLlmThroughput({ llm: LAST }, mdep("onnx", { llm: LAST }), { merged, llm })).not.toHaveProperty("llm");
  });
});
