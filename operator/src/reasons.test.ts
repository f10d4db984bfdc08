import { describe, expect, it } from "vitest";
import { Reason, ReconcileFailure, stalled, waiting } from "./reasons.js";

describe("named failures", () => {
  it.each([
    ["waiting", waiting, false],
    ["stalled", stalled, true],
  ] as const)("%s(...) builds a ReconcileFailure of that kind", (kind, make, isStalled) => {
    const f = make(Reason.ModelNotReady, "TrainingJob t has not succeeded yet");
    expect(f).toBeInstanceOf(ReconcileFailure);
    expect(f).toMatchObject({ kind, stalled: isStalled, reason: Reason.ModelNotReady, name: "ReconcileFailure" });
    expect(f.message).toBe("TrainingJob t has not succeeded yet");
  });
});
