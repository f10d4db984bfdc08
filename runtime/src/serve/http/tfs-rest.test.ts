import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveLayersModel, serverFor, tempDir, tinyDense } from "../test-helpers.js";

/** TF Serving's REST paths beside :predict (tfs-rest-routes.ts). */
describe("TF Serving REST: metadata, version status, versioned predict, labels", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    ({ app } = await serverFor(await saveLayersModel(tinyDense(), await tempDir())));
  });
  afterAll(() => app.close());

  it("metadata gives the serving_default signature_def as TF Serving does (int64 sizes as strings)", async () => {
    for (const url of ["/v1/models/m/metadata", "/v1/models/m/versions/1/metadata"]) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        model_spec: { name: "m", signature_name: "", version: "1" },
        metadata: {
          signature_def: {
            signature_def: {
              serving_default: {
                inputs: {
                  dense_input: {
                    name: "dense_input:0",
                    dtype: "DT_FLOAT",
                    tensor_shape: { dim: [{ size: "-1" }, { size: "3" }] },
                  },
                },
                outputs: {
                  dense: { name: "dense:0", dtype: "DT_FLOAT", tensor_shape: { dim: [{ size: "-1" }, { size: "2" }] } },
                },
                method_name: "tensorflow/serving/predict",
              },
            },
          },
        },
      });
    }
  });

  it("version status answers for the served version", async () => {
    const res = await app.inject({ url: "/v1/models/m/versions/1" });
    expect([res.statusCode, res.json()]).toEqual([
      200,
      { model_version_status: [{ version: "1", state: "AVAILABLE", status: { error_code: "OK", error_message: "" } }] },
    ]);
  });

  it("predict on the served version answers as :predict does", async () => {
    const res = await app.inject({
      method: "POST",
      url: "/v1/models/m/versions/1:predict",
      payload: { instances: [[1, 2, 3]] },
    });
    expect([res.statusCode, res.json()]).toEqual([200, { predictions: [[4.5, 4.5]] }]);
  });

  it("another version or any label is 404 with an error naming it; wrong methods are 405", async () => {
    const cases: [string, string, number, string][] = [
      ["GET", "/v1/models/m/versions/2", 404, "model 'm' has no version '2'"],
      ["GET", "/v1/models/m/versions/2/metadata", 404, "model 'm' has no version '2'"],
      ["POST", "/v1/models/m/versions/2:predict", 404, "model 'm' has no version '2'"],
      ["GET", "/v1/models/m/labels/stable", 404, "model 'm' has no version 'label stable'"],
      ["GET", "/v1/models/m/labels/stable/metadata", 404, "model 'm' has no version 'label stable'"],
      ["POST", "/v1/models/m/labels/stable:predict", 404, "model 'm' has no version 'label stable'"],
      ["GET", "/v1/models/x/metadata", 404, "model 'x' is not served here"],
      ["GET", "/v1/models/m/versions/1:predict", 405, "method GET is not allowed here; use POST"],
      ["POST", "/v1/models/m/versions/1:classify", 404, "no route for POST /v1/models/m/versions/1:classify"],
    ];
    for (const [method, url, status, error] of cases) {
      const res = await app.inject({
        method: method as "GET",
        url,
        ...(method === "POST" ? { payload: { instances: [[1, 2, 3]] } } : {}),
      });
      expect([url, res.statusCode, res.json().error]).toEqual([url, status, error]);
    }
  });
});
