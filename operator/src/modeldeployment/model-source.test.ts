import { describe, expect, it } from "vitest";
import type { ModelDeploymentSpec, TrainingJob } from "../api/v1alpha1/index.js";
import { Reason, ReconcileFailure } from "../reasons.js";
import { pvcClaim, resolveModel } from "./model-source.js";

const DIGEST_A = `sha256:${"a".repeat(64)}`;
const DIGEST_B = `sha256:${"b".repeat(64)}`;

type Model = ModelDeploymentSpec["model"];
const byRef = (name: string, extra: Partial<Model> = {}): Model => ({
  trainingJobRef: { name },
  format: "tfjs-layers",
  ...extra,
});
const byUri = (uri: string, extra: Partial<Model> = {}): Model => ({ uri, format: "tfjs-layers", ...extra });

function job(status?: TrainingJob["status"]): TrainingJob {
  return {
    metadata: { name: "train-1", namespace: "ml" },
    spec: {} as TrainingJob["spec"],
    ...(status ? { status } : {}),
  };
}

const succeeded = job({
  phase: "Succeeded",
  conditions: [
    { type: "Succeeded", status: "True", lastTransitionTime: "2026-01-01T00:00:00Z", reason: "Done", message: "" },
  ],
  model: { uri: "pvc://models/train-1/model.json", digest: DIGEST_A, version: "uid-1" },
});

/** Runs resolveModel and returns the ReconcileFailure it throws. */
function failureOf(model: Model, jobs: Record<string, TrainingJob> = {}): ReconcileFailure {
  try {
    resolveModel(model, (name) => jobs[name]);
  } catch (err) {
    if (err instanceof ReconcileFailure) return err;
    throw err;
  }
  throw new Error("resolveModel did not fail");
}

describe("resolveModel from a TrainingJob", () => {
  it("waits (not stalled) when the TrainingJob does not exist", () => {
    const f = failureOf(byRef("missing"));
    expect(f.reason).toBe(Reason.ModelNotReady);
    expect(f.stalled).toBe(false);
    expect(f.message).toBe("TrainingJob missing not found; create it or fix model.trainingJobRef");
  });

  it("waits, naming the job and its phase, while the TrainingJob has not succeeded", () => {
    const running = job({ phase: "Running" });
    const f = failureOf(byRef("train-1"), { "train-1": running });
    expect(f.reason).toBe(Reason.ModelNotReady);
    expect(f.stalled).toBe(false);
    expect(f.message).toBe("TrainingJob train-1 has not succeeded yet (phase Running); waiting for its model");
    expect(failureOf(byRef("train-1"), { "train-1": job() }).message).toContain("(phase Pending)");
  });

  it("waits when Succeeded is True but no model URI is published yet", () => {
    const { model: _model, ...withoutModel } = succeeded.status ?? {};
    const noModel = job(withoutModel);
    expect(failureOf(byRef("train-1"), { "train-1": noModel }).reason).toBe(Reason.ModelNotReady);
  });

  it("uses the succeeded job's URI and digest, and the claim of a pvc:// URI", () => {
    expect(resolveModel(byRef("train-1"), (n) => (n === "train-1" ? succeeded : undefined))).toEqual({
      uri: "pvc://models/train-1/model.json",
      format: "tfjs-layers",
      digest: DIGEST_A,
      claim: "models",
    });
  });

  it("prefers a digest pinned in the spec over the job's", () => {
    const r = resolveModel(byRef("train-1", { digest: DIGEST_B, format: "tfjs-graph" }), () => succeeded);
    expect(r.digest).toBe(DIGEST_B);
    expect(r.format).toBe("tfjs-graph");
  });
});

describe("resolveModel from a URI", () => {
  it("accepts pvc://, http(s):// and file:/// URIs", () => {
    expect(resolveModel(byUri("pvc://my-claim/a/b/model.json"), () => undefined)).toEqual({
      uri: "pvc://my-claim/a/b/model.json",
      format: "tfjs-layers",
      claim: "my-claim",
    });
    expect(resolveModel(byUri("https://h.example/m.json", { digest: DIGEST_A }), () => undefined)).toEqual({
      uri: "https://h.example/m.json",
      format: "tfjs-layers",
      digest: DIGEST_A,
    });
    expect(resolveModel(byUri("http://h/m.json"), () => undefined)).not.toHaveProperty("claim");
    expect(resolveModel(byUri("file:///models/m.json"), () => undefined).uri).toBe("file:///models/m.json");
  });

  it.each([
    ["s3://bucket"],
    ["s3://bucket/"],
    ["s3://B_ad/m.json"],
    ["pvc://Bad_Claim/m.json"],
    ["pvc://claim"],
    ["gs://b/m"],
    ["model.json"],
  ])("stalls with UnsupportedModelURI on %s", (uri) => {
    const f = failureOf(byUri(uri));
    expect(f.reason).toBe(Reason.UnsupportedModelURI);
    expect(f.stalled).toBe(true);
    expect(f.message).toBe(
      `the runtime cannot read model URI "${uri}": use pvc://<claim>/<path>, http(s)://, file:/// or s3://<bucket>/<key>`,
    );
  });

  it("reads s3://<bucket>/<key> with no claim, and the ModelDeployment's storage", () => {
    const storage = { endpoint: "http://s3.example:8333", credentials: { vaultKV: { path: "secret/data/t/s3" } } };
    expect(resolveModel(byUri("s3://models/churn/model.json"), () => undefined, storage)).toEqual({
      uri: "s3://models/churn/model.json",
      format: "tfjs-layers",
      storage,
    });
    // No spec.storage: the pod's own AWS chain (nothing to pass).
    expect(resolveModel(byUri("s3://models/churn.onnx"), () => undefined)).toEqual({
      uri: "s3://models/churn.onnx",
      format: "tfjs-layers",
    });
    // A pvc:// model does not carry the storage (its pods get no AWS env).
    expect(resolveModel(byUri("pvc://m/x/model.json"), () => undefined, storage)).not.toHaveProperty("storage");
  });

  it("reads a TrainingJob's s3:// model with the ModelDeployment's storage, else the TrainingJob's", () => {
    const tjStorage = { endpoint: "http://tj.example:8333", credentials: { vaultKV: { path: "secret/data/tj" } } };
    const mdepStorage = { endpoint: "http://md.example:8333" };
    const inBucket = {
      ...job({ ...succeeded.status, model: { uri: "s3://bkt/models/train-1/", digest: DIGEST_A, version: "v" } }),
      spec: { storage: tjStorage } as unknown as TrainingJob["spec"],
    };
    expect(resolveModel(byRef("train-1"), () => inBucket).storage).toEqual(tjStorage);
    expect(resolveModel(byRef("train-1"), () => inBucket, mdepStorage).storage).toEqual(mdepStorage);
    // A TrainingJob written before spec.storage existed: none.
    const bare = job({
      ...succeeded.status,
      model: { uri: "s3://bkt/models/train-1/", digest: DIGEST_A, version: "v" },
    });
    expect(resolveModel(byRef("train-1"), () => bare)).not.toHaveProperty("storage");
  });

  it("stalls when the model has neither uri nor trainingJobRef", () => {
    const f = failureOf({ format: "tfjs-layers" });
    expect(f.reason).toBe(Reason.UnsupportedModelURI);
    expect(f.stalled).toBe(true);
    expect(f.message).toBe("model has neither uri nor trainingJobRef");
  });

  it("stalls on an unsupported URI published by a TrainingJob", () => {
    const odd = job({ ...succeeded.status, model: { uri: "gs://b/m.json", digest: DIGEST_A, version: "v" } });
    const f = failureOf(byRef("train-1"), { "train-1": odd });
    expect(f.reason).toBe(Reason.UnsupportedModelURI);
    expect(f.stalled).toBe(true);
  });
});

describe("model URIs through the contract's parser", () => {
  // The operator's acceptance before the parser was shared with the runtime: the parser must not change it, but for
  // s3://<bucket>/<key>, read since issue #27.
  const BEFORE =
    /^(pvc:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/\S+|https?:\/\/\S+|file:\/\/\/\S+|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+)$/;
  it.each([
    "pvc://models/churn/model.json",
    "pvc://models//model.json",
    "pvc://models/a/../b/model.json",
    "pvc://m/",
    "pvc://-bad/m.json",
    "PVC://models/m.json",
    "pvc://models/a b.json",
    "https://example.com/m.json",
    "http://x",
    "https://",
    "HTTPS://example.com/m.json",
    "file:///models/m.json",
    "file:///",
    "file://host/m.json",
    "s3://b/m.json",
    "s3://bucket/m.json",
    "s3://bucket/",
    "S3://bucket/m.json",
    "/abs/model.json",
    "model.json",
    "",
  ])("%j is accepted exactly when it was before, with the same claim", (uri) => {
    const m = BEFORE.exec(uri);
    let got: { claim?: string } | "refused";
    try {
      got = resolveModel(byUri(uri), () => undefined);
    } catch (err) {
      if (!(err instanceof ReconcileFailure)) throw err;
      got = "refused";
    }
    if (!m) expect(got).toBe("refused");
    else expect(got === "refused" ? got : got.claim).toBe(m[2]);
  });

  it.each([
    ["pvc://data/prepared/penguins/abc", "data"],
    ["pvc://data/", "data"],
    ["pvc://data", undefined],
    ["pvc://Data/x", undefined],
    ["https://example.com/stats.json", undefined],
  ])("pvcClaim(%j) is %j", (uri, claim) => {
    expect(pvcClaim(uri)).toBe(claim);
  });
});
