import { describe, expect, it } from "vitest";
import type { ModelDeployment, ModelDeploymentStatus } from "../api/v1alpha1/index.js";
import { Reason } from "../reasons.js";
import { withGpuFallback } from "./gpu-status.js";
import type { Observation } from "./monitoring/status.js";

const NOW = () => "2026-12-06T11:00:00Z";
const mdep = (gpu: number): ModelDeployment =>
  ({
    metadata: { name: "vit", namespace: "ml", generation: 3 },
    spec: { model: { uri: "pvc://m/model.onnx", format: "onnx" }, resources: { gpu } },
  }) as ModelDeployment;
const status = (ready: "True" | "False", reason: string, message: string): ModelDeploymentStatus => ({
  conditions: [{ type: "Ready", status: ready, reason, message, lastTransitionTime: "t0", observedGeneration: 3 }],
});
const why = "the CUDA execution provider cannot load (libcudnn.so.9: not found); running on the CPU";
const fellBack: Observation = {
  unavailable: "not monitored",
  gpuFallback: { pod: "vit-predictor-7d9f-x2k", message: why },
};
const ready = (s: ModelDeploymentStatus) => s.conditions?.find((c) => c.type === "Ready");

describe("Ready when a GPU pod runs on the CPU", () => {
  it("stays True with reason GPUFallback, naming the pod and onnxruntime's reason", () => {
    const s = withGpuFallback(status("True", Reason.Available, "2/2 replicas available"), mdep(1), fellBack, NOW);
    expect(ready(s)).toMatchObject({
      status: "True",
      reason: Reason.GPUFallback,
      message: `2/2 replicas available; pod vit-predictor-7d9f-x2k runs on the CPU: ${why}`,
    });
  });

  it.each([
    ["a failing ModelDeployment keeps its failure's reason", status("False", "CrashLoopBackOff", "x"), 1, fellBack],
    ["no fallback pushed: unchanged", status("True", "Available", "1/1"), 1, { unavailable: "no push" }],
    ["no observation yet: unchanged", status("True", "Available", "1/1"), 1, undefined],
    ["no GPU asked for: unchanged", status("True", "Available", "1/1"), 0, fellBack],
  ] as const)("%s", (_, before, gpu, observation) => {
    expect(withGpuFallback(before, mdep(gpu), observation, NOW)).toEqual(before);
  });
});
