// The promotion record for git (pure): pinned uri + digest, and comments that say why and from what.
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { promotionPatch } from "./loop-promotion.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const promoted = {
  metadata: { name: "penguins", namespace: "ml" },
  spec: { model: { trainingJobRef: { name: "penguins" } } },
  status: {
    loop: {
      stage: "Promoted",
      iteration: 2,
      trigger: { reason: "Degraded" },
      candidate: { digest: DIGEST },
      decision: { decision: "promote", reason: "CanaryMoreAccurate", test: "two-proportion z-test, z=9.1, p<0.001" },
      figures: { stable: { accuracy: 0.02, feedback: 310 }, canary: { accuracy: 0.93, feedback: 298 } },
      lineage: { dataDigest: "sha256:dd", capturedRows: 1712, capturedVersions: 4, modelDigest: DIGEST },
      promoted: {
        uri: "pvc://liftoff-data/models/penguins/abab",
        digest: DIGEST,
        trainingJob: "penguins-loop-2",
        dataSet: "penguins-loop-2",
        at: "2026-12-06T21:00:00Z",
      },
      history: [
        { iteration: 2, trigger: "Degraded", decision: "promote", reason: "CanaryMoreAccurate", modelDigest: DIGEST },
      ],
    },
  },
};

describe("promotionPatch", () => {
  it("pins spec.model to the promoted uri and digest, with the decision, figures and lineage as comments", () => {
    const out = promotionPatch(promoted);
    expect(parse(out)).toEqual({ spec: { model: { uri: "pvc://liftoff-data/models/penguins/abab", digest: DIGEST } } });
    expect(out).toContain("# ModelDeployment ml/penguins: promoted by the closed loop at 2026-12-06T21:00:00Z");
    expect(out).toContain("iteration 2, trigger Degraded, decision CanaryMoreAccurate");
    expect(out).toContain("live accuracy: canary 0.93 (298 feedback), stable 0.02 (310)");
    expect(out).toContain("TrainingJob penguins-loop-2 on DataSet penguins-loop-2");
    expect(out).toContain("(1712 captured rows, 4 versions)");
  });

  it("after a later rollback, keeps the promotion but not the rolled-back iteration's figures", () => {
    const later = structuredClone(promoted);
    Object.assign(later.status.loop, {
      stage: "RolledBack",
      iteration: 3,
      candidate: { digest: "sha256:other" },
      decision: { decision: "rollback", reason: "CanaryLessAccurate", test: "t" },
    });
    const out = promotionPatch(later);
    expect(parse(out).spec.model.digest).toBe(DIGEST);
    expect(out).toContain("iteration 2");
    expect(out).not.toContain("live accuracy");
    expect(out).not.toContain("CanaryLessAccurate");
  });

  it("says so when nothing was promoted", () => {
    expect(() =>
      promotionPatch({ metadata: { name: "p", namespace: "ml" }, status: { loop: { stage: "Watching" } } }),
    ).toThrow("ModelDeployment ml/p has no promotion in status.loop.promoted");
  });
});
