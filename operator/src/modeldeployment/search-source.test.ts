import { describe, expect, it } from "vitest";
import type { ModelDeployment, TrainingSearch } from "../api/v1alpha1/index.js";
import { Reason } from "../reasons.js";
import { resolveSearches, searchFailure, searchSummary } from "./search-source.js";

const DIGEST = `sha256:${"a".repeat(64)}`;

function mdep(model: ModelDeployment["spec"]["model"], canary?: ModelDeployment["spec"]["canary"]): ModelDeployment {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "ModelDeployment",
    metadata: { name: "digits", namespace: "ml" },
    spec: { model, ...(canary ? { canary } : {}) },
  };
}

const cond = (type: string, status: "True" | "False", reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: "2026-12-07T00:00:00Z",
});

function search(name: string, status: NonNullable<TrainingSearch["status"]> = {}): TrainingSearch {
  return {
    apiVersion: "liftoff.dev/v1alpha1",
    kind: "TrainingSearch",
    metadata: { name, namespace: "ml" },
    spec: { maxTrials: 16, objective: { metric: "val_accuracy" } } as unknown as TrainingSearch["spec"],
    status,
  };
}

const running = search("digits-search", {
  phase: "Running",
  objective: { metric: "val_accuracy", goal: "maximize" },
  trials: { total: 5, running: 2, stoppedEarly: 1, succeeded: 2, failed: 0 },
  best: { trial: "digits-search-3", index: 3, objective: 0.9633, shortObjective: "0.9633", parameters: {} },
});

const finished = search("digits-search", {
  phase: "Succeeded",
  model: {
    trainingJob: "digits-search-3",
    uri: "pvc://data/models/digits-search-3/model.json",
    digest: DIGEST,
    version: "uid-3/1",
    parameters: { learningRate: "0.01" },
    objective: 0.9633,
  },
});

const lookup =
  (...searches: TrainingSearch[]) =>
  (name: string) =>
    searches.find((s) => s.metadata?.name === name);

describe("resolveSearches", () => {
  it("returns the ModelDeployment itself when no model names a search", () => {
    const m = mdep({ trainingJobRef: { name: "digits-mlp" }, format: "tfjs-layers" });
    expect(resolveSearches(m, lookup(finished)).mdep).toBe(m);
  });

  it("serves a finished search's best trial as trainingJobRef, leaving the input as it was", () => {
    const m = mdep({ trainingSearchRef: { name: "digits-search" }, format: "tfjs-layers" });
    const out = resolveSearches(m, lookup(finished));
    expect(out.failure).toBeUndefined();
    expect(out.mdep.spec.model).toEqual({
      trainingSearchRef: { name: "digits-search" },
      trainingJobRef: { name: "digits-search-3" },
      format: "tfjs-layers",
    });
    expect(m.spec.model.trainingJobRef).toBeUndefined();
  });

  it("waits for a running search with SearchNotFinished, naming its phase, trials and best so far", () => {
    const m = mdep({ trainingSearchRef: { name: "digits-search" }, format: "tfjs-layers" });
    const out = resolveSearches(m, lookup(running));
    expect(out.mdep).toBe(m);
    expect(out.failure).toMatchObject({ reason: Reason.SearchNotFinished, kind: "waiting" });
    expect(out.failure?.message).toBe(
      "TrainingSearch digits-search has not finished (phase Running, 5 of 16 trials, 2 running, best val_accuracy 0.9633 by digits-search-3); waiting for its best model",
    );
  });

  it("says a new search has no trial finished yet", () => {
    expect(searchFailure("s", search("s")).message).toBe(
      "TrainingSearch s has not finished (phase Pending, no trial finished yet); waiting for its best model",
    );
  });

  it("stalls on a failed search with the search's own reason and message", () => {
    const failed = search("digits-search", {
      phase: "Failed",
      conditions: [
        cond("Ready", "False", Reason.TooManyTrialsFailed, "9 trials failed, more than maxFailedTrials (8)"),
        cond("Stalled", "True", Reason.TooManyTrialsFailed, "9 trials failed, more than maxFailedTrials (8)"),
      ],
    });
    const f = searchFailure("digits-search", failed);
    expect(f).toMatchObject({ reason: Reason.TooManyTrialsFailed, kind: "stalled" });
    expect(f.message).toBe(
      "TrainingSearch digits-search failed without a model to serve (TooManyTrialsFailed): 9 trials failed, more than maxFailedTrials (8)",
    );
  });

  it("stalls with SearchNotFinished when a failed search's reason is not in the catalogue", () => {
    const f = searchFailure("s", search("s", { phase: "Failed" }));
    expect(f).toMatchObject({ reason: Reason.SearchNotFinished, kind: "stalled" });
    expect(f.message).toBe("TrainingSearch s failed without a model to serve (phase Failed)");
  });

  it("waits with ModelNotReady for a search that does not exist", () => {
    const out = resolveSearches(mdep({ trainingSearchRef: { name: "nope" }, format: "tfjs-layers" }), lookup());
    expect(out.failure).toMatchObject({
      reason: Reason.ModelNotReady,
      message: "TrainingSearch nope not found; create it or fix model.trainingSearchRef",
    });
  });

  it("resolves canary.model's search when it has finished, and leaves it for the canary to wait on when not", () => {
    const stable = { trainingJobRef: { name: "digits-mlp" }, format: "tfjs-layers" } as const;
    const canary = {
      model: { trainingSearchRef: { name: "digits-search" }, format: "tfjs-layers" },
      trafficPercent: 10,
    } as const;
    const done = resolveSearches(mdep(stable, canary), lookup(finished));
    expect(done.failure).toBeUndefined();
    expect(done.mdep.spec.canary?.model?.trainingJobRef).toEqual({ name: "digits-search-3" });
    expect(done.mdep.spec.model).toEqual(stable);
    const waiting = resolveSearches(mdep(stable, canary), lookup(running));
    expect(waiting.failure).toBeUndefined();
    expect(waiting.mdep.spec.canary?.model?.trainingJobRef).toBeUndefined();
  });
});

describe("searchSummary", () => {
  it("names the search and its trial, shorter when the names are long", () => {
    expect(searchSummary("digits-search", "digits-search-3")).toBe("search digits-search → trial digits-search-3");
    const long = "a-rather-long-hyperparameter-search-name";
    expect(searchSummary(long, `${long}-12`)).toBe(`search ${long} → trial #12`);
    const longer = "x".repeat(60);
    expect(searchSummary(longer, `${longer}-7`)).toBe(`${longer}-7`);
    expect(searchSummary("y".repeat(70), `${"y".repeat(70)}-7`)).toBe(`${"y".repeat(63)}…`);
    expect(searchSummary("a", "b")).toBe("search a → trial b");
  });
});
