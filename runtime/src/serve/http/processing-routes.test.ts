// Declared processing through the real HTTP app and the gRPC codec: a file in as BYTES, labels out, V2 class_count.
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { decodeModelInfer } from "../grpc/v2-proto-codec.js";
import { RuntimeMetrics } from "../metrics.js";
import type { LoadedModel, Tensor } from "../model/loaded-model.js";
import { applyProcessing } from "../model/processing-files.js";
import { classifiableOutput } from "../model/with-processing.js";
import { ModelHost } from "../model-host.js";
import { tempDir } from "../test-helpers.js";
import { buildHttpApp } from "./app.js";

/** Scores each channel of an NHWC [n,1,1,3] float input by its value. */
const identity: LoadedModel = {
  format: "onnx",
  signature: {
    inputs: [{ name: "image", dtype: "float32", shape: [-1, 1, 1, 3] }],
    outputs: [{ name: "probs", dtype: "float32", shape: [-1, 3] }],
    batched: true,
  },
  plainJsRows: 0,
  async run([x]) {
    const t = x as Tensor;
    return [{ data: t.data as Float32Array, shape: [t.shape[0] as number, 3], dtype: "float32" }];
  },
  dispose() {},
};

const LABELS = "red\ngreen\nblue\n";
const limits = { maxRequestRows: 64, bodyLimitBytes: 1024 * 1024 };

async function app(labels: boolean) {
  const dir = await tempDir();
  await writeFile(path.join(dir, "labels.txt"), LABELS);
  const digest = `sha256:${createHash("sha256").update(LABELS).digest("hex")}`;
  const model = await applyProcessing(
    identity,
    {
      preprocessing: {
        image: { width: 1, height: 1, layout: "NHWC", channels: "RGB", resize: "bilinear", crop: "none", scale: 1 },
      },
      postprocessing: { topK: { k: 2, ...(labels ? { labels: { path: "labels.txt", digest } } : {}) } },
    },
    { kind: "file", path: dir },
  );
  const modelHost = new ModelHost({
    name: "m",
    version: "1",
    metrics: new RuntimeMetrics("m"),
    maxBatchSize: 4,
    maxLatencyMs: 0,
  });
  modelHost.attach(model, { name: "cpu", tfjsBackend: "cpu", tfjsVersion: "", libVersion: undefined });
  return {
    model,
    http: await buildHttpApp({ modelHost, limits, bodyLimitBytes: limits.bodyLimitBytes, logLevel: "silent" }),
  };
}

const pixel = (rgb: number[]) =>
  sharp(Buffer.from(rgb), { raw: { width: 1, height: 1, channels: 3 } })
    .png()
    .toBuffer();
const b64 = async (rgb: number[]) => (await pixel(rgb)).toString("base64");

describe("declared processing over the protocols", () => {
  it("V2 JSON: a base64 PNG in, score:index:label strings out; class_count answered on the top-k output", async () => {
    const { http } = await app(true);
    const input = { name: "image", datatype: "BYTES", shape: [2], parameters: { content_type: "base64" } };
    const res = await http.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload: { inputs: [{ ...input, data: [await b64([10, 30, 20]), await b64([7, 5, 6])] }] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().outputs).toEqual([
      {
        name: "probs",
        datatype: "BYTES",
        shape: [2, 2],
        data: ["30.000000:1:green", "20.000000:2:blue", "7.000000:0:red", "6.000000:2:blue"],
      },
    ]);
    const one = await http.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload: {
        inputs: [{ ...input, shape: [1], data: [await b64([10, 30, 20])] }],
        outputs: [{ name: "probs", parameters: { classification: 3 } }],
      },
    });
    expect(one.json().outputs[0].data).toEqual(["30.000000:1:green", "20.000000:2:blue", "10.000000:0:red"]);
    const bad = await http.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload: { inputs: [{ ...input, shape: [1], data: [Buffer.from("not a picture").toString("base64")] }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({
      error: "input 'image' row 0 is not a JPEG or PNG image",
      code: "LIFTOFF_ERR_INVALID_INPUT",
    });
    const zero = await http.inject({
      method: "POST",
      url: "/v2/models/m/infer",
      payload: {
        inputs: [{ ...input, shape: [1], data: [await b64([1, 2, 3])] }],
        outputs: [{ name: "probs", parameters: { classification: 0 } }],
      },
    });
    expect(zero.statusCode).toBe(400);
    expect(zero.json().error).toBe(
      "output 'probs': parameters.classification (class_count) must be an integer from 1 to 10000",
    );
  });

  it("metadata shows the BYTES input and output clients use", async () => {
    const { http } = await app(true);
    const meta = (await http.inject({ method: "GET", url: "/v2/models/m" })).json();
    expect(meta.inputs).toEqual([{ name: "image", datatype: "BYTES", shape: [-1] }]);
    expect(meta.outputs).toEqual([{ name: "probs", datatype: "BYTES", shape: [-1, 2] }]);
  });

  it("gRPC: class_count (int64_param) is taken on the top-k output of a model with labels, refused without them", async () => {
    const withLabels = (await app(true)).model;
    const req = {
      model_name: "m",
      model_version: "",
      id: "",
      inputs: [
        { name: "image", datatype: "BYTES", shape: [1], contents: { bytes_contents: [await pixel([1, 2, 3])] } },
      ],
      outputs: [{ name: "probs", parameters: { classification: { int64_param: 2 } } }],
      raw_input_contents: [],
    };
    const decoded = decodeModelInfer(req, withLabels.signature, limits, classifiableOutput(withLabels));
    expect(decoded.prepared.classCount).toEqual(new Map([[0, 2]]));
    const noLabels = (await app(false)).model;
    expect(() => decodeModelInfer(req, noLabels.signature, limits, classifiableOutput(noLabels))).toThrow(
      "output 'probs': parameters.classification (class_count) is not supported by this runtime",
    );
  });
});
