/**
 * V1 and V2 conformance, run once per backend by conformance.<backend>.test.ts
 * (a backend is process-global in TensorFlow.js, and vitest gives each test
 * file its own worker).
 */
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackendName } from "../backends.js";
import { initBackend } from "../backends.js";
import {
  saveGraphModel,
  saveLayersModel,
  serverFor,
  tempDir,
  tinyDense,
  tinyDenseExpected,
  twoInTwoOut,
} from "./test-helpers.js";

const close = (a: number[], b: number[]) => {
  expect(a).toHaveLength(b.length);
  a.forEach((v, i) => {
    expect(v).toBeCloseTo(b[i] as number, 5);
  });
};

export function conformanceSuite(backend: BackendName): void {
  describe(`V1 and V2 conformance on ${backend}`, () => {
    let dense: FastifyInstance;
    /** The same Dense model on TF.js alone (dense serves it through the plain-JS kernel, model/plain-js-rows.ts). */
    let denseTf: FastifyInstance;
    let multi: FastifyInstance;
    let graph: FastifyInstance;

    beforeAll(async () => {
      const info = await initBackend(backend);
      expect(info.name).toBe(backend);
      const denseDir = await saveLayersModel(tinyDense(), await tempDir());
      dense = (await serverFor(denseDir, { plainJsRows: 1024 })).app;
      denseTf = (await serverFor(denseDir, { plainJsRows: 0 })).app;
      multi = (await serverFor(await saveLayersModel(twoInTwoOut(), await tempDir()))).app;
      graph = (await serverFor(await saveGraphModel(await tempDir()))).app;
    }, 60_000);
    afterAll(async () => {
      await Promise.all([dense?.close(), denseTf?.close(), multi?.close(), graph?.close()]);
    });

    const post = (app: FastifyInstance, url: string, payload: unknown) =>
      app.inject({ method: "POST", url, payload: payload as object });

    it.each([
      ["plain-JS kernel", () => dense],
      ["TF.js", () => denseTf],
    ])("V1 row format: instances → predictions, one per row, in order (%s)", async (_, app) => {
      const rows = [
        [1, 2, 3],
        [0, 0, 0],
        [-1, 0.5, 2],
      ];
      const r = await post(app(), "/v1/models/m:predict", { instances: rows });
      expect(r.statusCode).toBe(200);
      expect(r.headers["content-type"]).toMatch(/^application\/json/);
      const { predictions } = r.json() as { predictions: number[][] };
      expect(predictions).toHaveLength(3);
      rows.forEach((row, i) => {
        close(predictions[i] as number[], tinyDenseExpected(row));
      });
    });

    it("V1 columnar format: inputs → outputs with the batch dimension", async () => {
      const r = await post(dense, "/v1/models/m:predict", { inputs: [[1, 2, 3]] });
      expect(r.statusCode).toBe(200);
      const body = r.json() as { outputs: number[][] };
      expect(Object.keys(body)).toEqual(["outputs"]);
      close(body.outputs[0] as number[], [4.5, 4.5]);
    });

    it("V1 named instances and columnar inputs for a two-input, two-output model", async () => {
      const rows = await post(multi, "/v1/models/m:predict", {
        instances: [
          { a: [1, 2], b: [1, 1, 1, 1] },
          { a: [0, 0], b: [0, 0, 0, 2] },
        ],
      });
      expect(rows.statusCode).toBe(200);
      expect(rows.json()).toEqual({
        predictions: [
          { sum: [7], triple: [7, 7, 7] },
          { sum: [2], triple: [2, 2, 2] },
        ],
      });
      const cols = await post(multi, "/v1/models/m:predict", { inputs: { a: [[1, 2]], b: [[1, 1, 1, 1]] } });
      expect(cols.json()).toEqual({ outputs: { sum: [[7]], triple: [[7, 7, 7]] } });
    });

    it("V1 model list and status use KServe's shapes", async () => {
      expect((await dense.inject({ url: "/v1/models" })).json()).toEqual({ models: ["m"] });
      expect((await dense.inject({ url: "/v1/models/m" })).json()).toEqual({ name: "m", ready: true });
    });

    it("V2 server metadata, liveness and readiness", async () => {
      const meta = await dense.inject({ url: "/v2" });
      expect(meta.json()).toMatchObject({
        name: "liftoff-runtime",
        extensions: ["binary_tensor_data", "model_configuration", "statistics"],
      });
      expect((await dense.inject({ url: "/v2/health/live" })).json()).toEqual({ live: true });
      const ready = await dense.inject({ url: "/v2/health/ready" });
      expect([ready.statusCode, ready.json()]).toEqual([200, { ready: true }]);
      for (const url of ["/v2/models/m/ready", "/v2/models/m/versions/1/ready"]) {
        const r = await dense.inject({ url });
        expect([r.statusCode, r.json()]).toEqual([200, { name: "m", ready: true }]);
      }
    });

    it("V2 model metadata names inputs and outputs with datatypes and shapes", async () => {
      for (const url of ["/v2/models/m", "/v2/models/m/versions/1"]) {
        const r = await multi.inject({ url });
        expect(r.statusCode).toBe(200);
        expect(r.json()).toMatchObject({
          name: "m",
          versions: ["1"],
          platform: "tensorflowjs_layers",
          inputs: [
            { name: "a", datatype: "FP32", shape: [-1, 2] },
            { name: "b", datatype: "INT32", shape: [-1, 4] },
          ],
          outputs: [
            { name: "sum", datatype: "FP32", shape: [-1, 1] },
            { name: "triple", datatype: "FP32", shape: [-1, 3] },
          ],
          parameters: { backend, max_batch_size: 1 },
        });
        expect((r.json() as { parameters: { digest: string } }).parameters.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      }
    });

    it("V2 infer: flat and nested data, id echoed, outputs in the order asked for", async () => {
      const r = await post(multi, "/v2/models/m/versions/1/infer", {
        id: "req-7",
        inputs: [
          { name: "b", shape: [2, 4], datatype: "INT64", data: [1, 1, 1, 1, 0, 0, 0, 2] },
          {
            name: "a",
            shape: [2, 2],
            datatype: "FP64",
            data: [
              [1, 2],
              [0, 0],
            ],
          },
        ],
        outputs: [{ name: "triple" }, { name: "sum" }],
      });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({
        model_name: "m",
        model_version: "1",
        id: "req-7",
        outputs: [
          { name: "triple", datatype: "FP32", shape: [2, 3], data: [7, 7, 7, 2, 2, 2] },
          { name: "sum", datatype: "FP32", shape: [2, 1], data: [7, 2] },
        ],
      });
    });

    it.each([
      ["plain-JS kernel", () => dense],
      ["TF.js", () => denseTf],
    ])("V2 infer without id or outputs returns every output and no id (%s)", async (_, app) => {
      const r = await post(app(), "/v2/models/m/infer", {
        inputs: [{ name: "dense_input", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }],
      });
      const body = r.json() as { id?: string; outputs: { name: string; data: number[] }[] };
      expect(body.id).toBeUndefined();
      expect(body.outputs.map((o) => o.name)).toEqual(["dense"]);
      close(body.outputs[0]?.data as number[], [4.5, 4.5]);
    });

    it("serves a graph model (GraphDef) on both protocols", async () => {
      const meta = (await graph.inject({ url: "/v2/models/m" })).json() as { platform: string; inputs: unknown[] };
      expect(meta.platform).toBe("tensorflowjs_graph");
      expect(meta.inputs).toEqual([{ name: "x", datatype: "FP32", shape: [-1, 3] }]);
      const v1 = await post(graph, "/v1/models/m:predict", { instances: [[1, 2, 3]] });
      expect(v1.json()).toEqual({ predictions: [[4, 5]] });
      const v2 = await post(graph, "/v2/models/m/infer", {
        inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }],
      });
      expect((v2.json() as { outputs: { data: number[] }[] }).outputs[0]?.data).toEqual([4, 5]);
    });
  });
}
