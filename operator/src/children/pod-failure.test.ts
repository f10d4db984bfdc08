import { describe, expect, it } from "vitest";
import { podFailure, podFailureReason, podMessage, withoutReason } from "./pod-failure.js";

const LOG_TAIL = [
  '{"level":30,"time":1,"msg":"listening on 0.0.0.0:8080"}',
  '{"level":30,"time":2,"msg":"gRPC listening on 0.0.0.0:9000"}',
  '{"level":50,"time":3,"msg":"cannot load model pvc://data/models/x: the model path does not exist: /pvc/data/models/x"}',
  "liftoff-runtime: error: cannot load model pvc://data/models/x: the model path does not exist: /pvc/data/models/x",
  "",
].join("\n");

describe("podMessage", () => {
  it.each([
    ["a one-line message, as it is", "model digest mismatch\n", undefined, "model digest mismatch"],
    [
      "the runtime's error out of the log tail the kubelet copies",
      LOG_TAIL,
      undefined,
      "cannot load model pvc://data/models/x: the model path does not exist: /pvc/data/models/x",
    ],
    ["a JSON log line's msg", '{"level":50,"msg":"boom"}', undefined, "boom"],
    ["not JSON after all", "{not json", undefined, "{not json"],
    [
      "without the reason the condition already shows",
      'liftoff-runtime: error: VaultPermissionDenied: logging in to Vault path "auth/kubernetes/login" as role "r" failed: permission denied',
      "VaultPermissionDenied",
      'logging in to Vault path "auth/kubernetes/login" as role "r" failed: permission denied',
    ],
    [
      "a reason elsewhere in the message is kept",
      "cannot unwrap the data key (transit key k): VaultUnreachable: no answer",
      "VaultUnreachable",
      "cannot unwrap the data key (transit key k): VaultUnreachable: no answer",
    ],
    [
      "a missing claim, once and in plain words",
      '0/2 nodes are available: persistentvolumeclaim "data" not found. not found',
      undefined,
      'PersistentVolumeClaim "data" does not exist in the namespace; create it, or name an existing claim in the spec',
    ],
  ])("%s", (_case, text, reason, expected) => {
    expect(podMessage(text, reason)).toBe(expected);
  });

  it("is at most 500 characters", () => {
    expect(podMessage("x".repeat(2000))).toHaveLength(500);
  });
});

describe("podFailureReason", () => {
  it.each([
    ["ErrImagePull", "ImagePullFailed"],
    ["ImagePullBackOff", "ImagePullFailed"],
    ["InvalidImageName", "ImagePullFailed"],
    ["Unschedulable", "Unschedulable"],
    ["CrashLoopBackOff", "CrashLoopBackOff"],
    ["CreateContainerConfigError", "ContainerFailed"],
  ])("%s → %s", (reason, expected) => {
    expect(podFailureReason({ reason, message: "", pod: "p" })).toBe(expected);
  });

  it("reads a Pending pod's scheduling condition", () => {
    const pod = {
      metadata: { name: "p" },
      status: {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "Insufficient cpu" }],
      },
    };
    expect(podFailure([pod])).toEqual({ reason: "Unschedulable", message: "Insufficient cpu", pod: "p" });
  });
});

describe("withoutReason", () => {
  it.each([
    ["VaultSealed: Vault is sealed", "VaultSealed", "Vault is sealed"],
    ["a line\nand another: kept whole", "SchemaMismatch", "a line\nand another: kept whole"],
    ["SchemaMismatchX: not the reason", "SchemaMismatch", "SchemaMismatchX: not the reason"],
  ])("%s", (message, reason, expected) => {
    expect(withoutReason(message, reason)).toBe(expected);
  });
});
