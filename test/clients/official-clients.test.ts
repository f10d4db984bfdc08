/**
 * The official clients from PyPI, unchanged and with their defaults, against a
 * real runtime process: tritonclient.http (binary tensor data extension),
 * tritonclient.grpc (V2 GRPCInferenceService, raw_input_contents) and
 * tensorflow-serving-api (PredictionService/ModelService with TensorProtos).
 * Each must get what the model computes in-process, within 1e-5.
 */
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchArtifact } from "../../runtime/src/artifact.js";
import { loadModel } from "../../runtime/src/serve/model/load.js";
import { saveLayersModel, tempDir, twoInTwoOut } from "../../runtime/src/serve/test-helpers.js";
import { python, type RuntimeProcess, startRuntime, venvPython } from "./support.js";

/** Seeded rows (a: float32 [n,2], b: int32 [n,4] in 0..9). */
function rows(n: number, seed = 7) {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const a = Array.from({ length: n }, () => [next() * 4 - 2, next() * 4 - 2].map((v) => Math.fround(v)));
  const b = Array.from({ length: n }, () => Array.from({ length: 4 }, () => Math.floor(next() * 10)));
  return { a, b };
}

const closeTo = (got: number[][], want: number[][]) => {
  expect(got.length).toBe(want.length);
  got.forEach((row, i) => {
    row.forEach((v, j) => {
      expect(Math.abs(v - (want[i]?.[j] as number))).toBeLessThanOrEqual(1e-5);
    });
  });
};

describe("official clients against a real runtime process", { timeout: 300_000 }, () => {
  let py: string;
  let rt: RuntimeProcess;
  const { a, b } = rows(5);
  const request = JSON.stringify({ inputs: { a: { datatype: "FP32", data: a }, b: { datatype: "INT32", data: b } } });
  let expected: { sum: number[][]; triple: number[][] };

  beforeAll(async () => {
    const dir = await tempDir();
    const modelJson = await saveLayersModel(twoInTwoOut(), dir);
    [py, rt] = await Promise.all([venvPython(), startRuntime(dir)]);
    // The in-process prediction: the same artifact, loaded and run as the runtime does.
    await tf.setBackend("cpu");
    const model = await loadModel(await fetchArtifact({ kind: "file", path: modelJson }, undefined));
    const [sum, triple] = await model.run([
      { data: Float32Array.from(a.flat()), shape: [a.length, 2] },
      { data: Int32Array.from(b.flat()), shape: [b.length, 4] },
    ]);
    const nested = (t: typeof sum, w: number) =>
      Array.from({ length: a.length }, (_, i) =>
        Array.from((t?.data as Float32Array | undefined)?.subarray(i * w, (i + 1) * w) ?? [], Number),
      );
    expected = { sum: nested(sum, 1), triple: nested(triple, 3) };
  }, 600_000);
  afterAll(async () => {
    await rt?.stop();
  });

  it("tritonclient.http with its defaults: binary tensors both ways; config, statistics, class_count refused", async () => {
    const r = JSON.parse(await python(py, ["test/clients/official_clients.py", "triton-http", rt.http, "m"], request));
    expect([r.live, r.ready]).toEqual([true, true]);
    for (const got of [r.outputs, r.requested]) {
      closeTo(got.sum, expected.sum);
      closeTo(got.triple, expected.triple);
    }
    extensionsSeen(r);
  });

  /** What extensions() in official_clients.py read back: config, statistics, and class_count refused. */
  const extensionsSeen = (r: Record<string, unknown>) => {
    expect(r.config).toEqual({
      max_batch_size: expect.any(Number),
      input: { a: ["TYPE_FP32", [2]], b: ["TYPE_INT32", [4]] },
    });
    expect(r.inference_count).toBeGreaterThanOrEqual(a.length);
    expect(r.class_count).toContain("parameters.classification (class_count) is not supported");
  };

  it("tritonclient.grpc: V2 GRPCInferenceService; ModelConfig, ModelStatistics, class_count refused", async () => {
    const r = JSON.parse(await python(py, ["test/clients/official_clients.py", "triton-grpc", rt.grpc, "m"], request));
    expect([r.live, r.ready, r.server]).toEqual([true, true, "liftoff-runtime"]);
    closeTo(r.outputs.sum, expected.sum);
    closeTo(r.outputs.triple, expected.triple);
    extensionsSeen(r);
  });

  it("tensorflow-serving-api: Predict with TensorProtos (tensor_content and typed values), metadata, status", async () => {
    const r = JSON.parse(await python(py, ["test/clients/official_clients.py", "tfserving", rt.grpc, "m"], request));
    closeTo(r.outputs.sum, expected.sum);
    closeTo(r.outputs.triple, expected.triple);
    expect(r.signature).toEqual({ inputs: { a: "DT_FLOAT", b: "DT_INT32" }, outputs: ["sum", "triple"] });
    expect(r.status).toEqual(["AVAILABLE"]);
  });
});
