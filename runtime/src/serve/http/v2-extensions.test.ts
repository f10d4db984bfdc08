import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveLayersModel, serverFor, tempDir, tinyDense } from "../test-helpers.js";

/** The V2 model configuration and statistics extensions over HTTP (Triton's shapes). */
describe("V2 model configuration and statistics (HTTP)", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    const model = await saveLayersModel(tinyDense(), await tempDir());
    ({ app } = await serverFor(model, { maxBatchSize: 8, maxLatencyMs: 2, maxRequestRows: 16 }));
  });
  afterAll(() => app.close());

  it("config gives data_type and dims without the batch dimension, max_batch_size and dynamic_batching", async () => {
    for (const url of ["/v2/models/m/config", "/v2/models/m/versions/1/config"]) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        name: "m",
        platform: "tensorflowjs_layers",
        backend: expect.any(String),
        max_batch_size: 16,
        input: [{ name: "dense_input", data_type: "TYPE_FP32", dims: [3] }],
        output: [{ name: "dense", data_type: "TYPE_FP32", dims: [2] }],
        dynamic_batching: { preferred_batch_size: [8], max_queue_delay_microseconds: 2000 },
      });
    }
  });

  it("stats count rows, model calls and successes after an inference", async () => {
    const infer = await app.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload: {
        inputs: [{ name: "dense_input", shape: [3, 3], datatype: "FP32", data: [1, 2, 3, 4, 5, 6, 7, 8, 9] }],
      },
    });
    expect(infer.statusCode).toBe(200);
    for (const url of ["/v2/models/stats", "/v2/models/m/stats", "/v2/models/m/versions/1/stats"]) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      const [stats] = res.json().model_stats;
      expect(stats).toMatchObject({ name: "m", version: "1", inference_count: 3, execution_count: 1 });
      expect(stats.inference_stats.success.count).toBe(1);
      expect(stats.inference_stats.success.ns).toBeGreaterThan(0);
      expect(stats.inference_stats.fail).toEqual({ count: 0, ns: 0 });
      expect(stats.last_inference).toBeGreaterThan(0);
    }
  });

  it("an unknown model or version is 404 in the catalogue's shape", async () => {
    for (const [url, error] of [
      ["/v2/models/x/config", "model 'x' is not served here"],
      ["/v2/models/m/versions/2/stats", "model 'm' has no version '2'"],
    ] as const) {
      const res = await app.inject({ url });
      expect([res.statusCode, res.json().error]).toEqual([404, error]);
    }
  });

  it("the extensions are listed in server metadata", async () => {
    expect((await app.inject({ url: "/v2" })).json().extensions).toEqual([
      "binary_tensor_data",
      "model_configuration",
      "statistics",
    ]);
  });
});
